// Upload with a progress bar; without JavaScript the form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) { return; }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
    });
    request.addEventListener("load", function () {
      if (request.status >= 200 && request.status < 300) {
        var result = JSON.parse(request.responseText);
        status.textContent = JSON.stringify(result.counts);
        window.location.assign(window.location.pathname + "#runs");
        window.location.reload();
      } else {
        var detail = request.status;
        try { detail = JSON.parse(request.responseText).detail; } catch (e) { /* not JSON */ }
        status.textContent = String(detail);
      }
    });
    request.addEventListener("error", function () { status.textContent = "upload failed"; });
    request.send(new FormData(form));
  });
})();
