"""Pure figure builders: (frame, options) -> Plotly figure dict. No database, no dash."""
