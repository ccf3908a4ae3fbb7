// book.js: the book's one script, inlined into every page.  The pages read
// well without it; it adds copy buttons, heading anchors and the phone menu.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Copy buttons: a transcript copies its commands only, other code as shown.
  document.querySelectorAll("main pre").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy to the clipboard");
    button.addEventListener("click", function () {
      var text = pre.dataset.copy || pre.querySelector("code").innerText;
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
      } else {
        fallback(text);
        done();
      }
    });
    // In a listing, the button sits in the name bar above the code;
    // elsewhere in a band of its own above the first line (with-copy).
    var box = pre.closest(".listing");
    var bar = box && box.querySelector(".listing-name");
    if (!bar)
      pre.classList.add("with-copy");
    (bar || pre).appendChild(button);
  });

  // Heading anchors: pandoc puts the id on the heading or on its section.
  document.querySelectorAll("main h1, main h2, main h3").forEach(function (h) {
    var id = h.id || (h.parentElement.tagName === "SECTION" && h.parentElement.id);
    if (!id) return;
    var a = document.createElement("a");
    a.className = "anchor";
    a.href = "#" + id;
    a.textContent = "#";
    a.setAttribute("aria-label", "Link to this section");
    h.appendChild(a);
  });

  // The phone menu opens and closes the sidebar.
  var menu = document.querySelector(".menu");
  var sidebar = document.getElementById("sidebar");
  if (menu && sidebar) {
    menu.addEventListener("click", function () {
      var open = sidebar.classList.toggle("open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Print every hint unfolded.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
});

// Copies text where the clipboard API is not allowed (some file:// pages).
function fallback(text) {
  var area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); } catch (e) { /* nothing to copy to */ }
  document.body.removeChild(area);
}
