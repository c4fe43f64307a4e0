// The language toggle: <html data-lang="zh|en">; "#en" in the address opens English.
(function () {
  var root = document.documentElement;
  var button = document.getElementById("lang-toggle");
  function show(lang) {
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
    button.textContent = lang === "zh" ? "English" : "中文";
  }
  button.addEventListener("click", function () {
    show(root.getAttribute("data-lang") === "zh" ? "en" : "zh");
  });
  show(window.location.hash === "#en" ? "en" : "zh");
})();
