(function () {
  "use strict";
  var box = document.getElementById("episode-filter");
  if (!box) { return; }
  var rows = document.querySelectorAll("#episode-table tbody tr");
  box.addEventListener("input", function () {
    var query = box.value.toLowerCase();
    rows.forEach(function (row) {
      row.hidden = query !== "" && row.textContent.toLowerCase().indexOf(query) < 0;
    });
  });
})();
