"""Dash pages: each module registers itself, builds its layout from the URL and declares its
callbacks. Glue only: a callback turns its inputs into Filters and page state, asks
dashboard.data, hands the answer to dashboard.figures or dashboard.views, and returns.
Dash imports these modules itself (create_app's pages_folder); nothing else imports them."""
