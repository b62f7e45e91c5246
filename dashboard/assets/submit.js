// /submit: a file over MCRED_MAX_UPLOAD_MB (or not .csv/.xlsx) is refused by the browser before it
// is read or sent (dcc.Upload's max_size and accept); say so, in the status line under the drop zone.
// And the drop zone's file field (dcc.Upload renders it unnamed) is named for a screen reader.
(function () {
  const NAME = "Upload your file (.csv or .xlsx)";
  function nameTheField() {
    const field = document.querySelector("#submit-upload input[type=file]");
    if (field && field.getAttribute("aria-label") !== NAME) {
      field.setAttribute("aria-label", NAME);
      field.setAttribute("aria-describedby", "submit-upload-message");
    }
  }
  new MutationObserver(nameTheField).observe(document.documentElement, {childList: true, subtree: true});

  function explain(files) {
    const box = document.getElementById("submit-upload-message");
    if (!box || !files || !files.length) { return; }
    const file = files[0];
    const max = Number(box.getAttribute("data-max-bytes") || "0");
    const name = file.name || "the file";
    let text = "";
    if (!/\.(csv|xlsx)$/i.test(name)) {
      text = name + " is not a .csv or .xlsx file: save the submission as CSV or as an Excel workbook (.xlsx).";
    } else if (max && file.size > max) {
      const mb = (file.size / 1024 / 1024).toFixed(1);
      text = name + " is " + mb + " MB: files up to " + box.getAttribute("data-max-mb") +
        " MB are accepted (MCRED_MAX_UPLOAD_MB). It was not sent.";
    }
    if (text) {
      box.innerHTML = "";
      const alert = document.createElement("div");
      alert.className = "alert alert-danger mb-0";
      alert.id = "submit-too-big";
      alert.textContent = text;
      box.appendChild(alert);
    }
  }
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target && target.closest && target.closest("#submit-upload")) { explain(target.files); }
  }, true);
  document.addEventListener("drop", function (event) {
    const target = event.target;
    if (target && target.closest && target.closest("#submit-upload") && event.dataTransfer) {
      explain(event.dataTransfer.files);
    }
  }, true);
})();
