// The prospect form's progress indicator: how many questions have an answer, as they are chosen.
(function () {
  var form = document.getElementById("prospect-form");
  if (!form) return;
  var questions = form.querySelectorAll("fieldset[data-question]");
  var bar = document.getElementById("progress");
  var count = document.getElementById("answered");
  function update() {
    var answered = 0;
    questions.forEach(function (q) { if (q.querySelector("input:checked")) answered += 1; });
    bar.value = answered;
    count.textContent = String(answered);
  }
  form.addEventListener("change", update);
  update();
})();
