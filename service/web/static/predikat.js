// Live predikat preview of the evaluation forms. The matrix is the server's own
// (service.domain.predikat.MATRIX), embedded by the page as JSON: no rule lives here.
(function () {
  "use strict";
  var source = document.getElementById("predikat-matrix");
  if (!source) { return; }
  var matrix = JSON.parse(source.textContent);

  function update(form) {
    var work = form.querySelector('[data-role="work"]');
    var behavior = form.querySelector('[data-role="behavior"]');
    var output = form.querySelector(".predikat-preview");
    if (!work || !behavior || !output) { return; }
    var cell = matrix[work.value + "|" + behavior.value];
    output.className = "predikat-preview" + (cell ? " badge predikat-" + cell.value : "");
    output.textContent = cell ? cell.label : output.getAttribute("data-empty");
    output.setAttribute("data-predikat", cell ? cell.value : "");
  }

  var forms = document.querySelectorAll("form.evaluation-form");
  Array.prototype.forEach.call(forms, function (form) {
    var output = form.querySelector(".predikat-preview");
    if (output) { output.setAttribute("data-empty", output.textContent); }
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
