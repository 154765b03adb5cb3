/* kcbot's web chat for a municipality's own pages: one script tag,
 *   <script src="https://chat.example.dk/chat/embed.js" defer></script>
 * adds a "Chat med os" button in the bottom right corner that opens /chat/ in a frame.
 * The chat runs on kcbot's own origin (its storage, its CSP); this script only adds the
 * button and the frame, styled through the DOM (no inline <style>, so a strict CSP on the
 * host page allows it), and passes an identity token on:  window.kcbotChat.identify(jwt).
 * The host page's origin must be listed in KCBOT_CHAT_ORIGINS for the frame to load.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.kcbotChat) { return; }
  var origin = new URL(script.src, window.location.href).origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "da")
    .slice(0, 2).toLowerCase() === "en" ? "en" : "da";
  var labels = {
    da: { open: "Chat med os", close: "Luk chatten", frame: "Chat med Jobcenter København" },
    en: { open: "Chat with us", close: "Close the chat", frame: "Chat with Jobcenter København" }
  }[lang];

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("data-kcbot", "launcher");
  style(button, {
    position: "fixed", right: "1rem", bottom: "1rem", zIndex: "2147483000",
    font: "600 1rem/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    minHeight: "2.75rem", padding: "0.625rem 1.25rem", borderRadius: "1.5rem",
    border: "2px solid #ffffff", background: "#00457a", color: "#ffffff", cursor: "pointer",
    boxShadow: "0 2px 8px rgba(0, 0, 0, 0.35)", outlineOffset: "3px"
  });

  var frame = null;
  var queue = [];
  var loaded = false;

  function style(el, values) {
    Object.keys(values).forEach(function (key) { el.style[key] = values[key]; });
  }

  function place() {
    if (!frame) { return; }
    var small = window.matchMedia("(max-width: 30rem), (max-height: 36rem)").matches;
    style(frame, small
      ? { right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { right: "1rem", bottom: "5rem", width: "25rem", height: "min(40rem, calc(100vh - 6rem))",
          borderRadius: "0.75rem" });
  }

  function send(message) {
    if (frame && loaded) { frame.contentWindow.postMessage(message, origin); } else { queue.push(message); }
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + "/chat/?embed=1&lang=" + lang;
      frame.title = labels.frame;
      frame.setAttribute("data-kcbot", "frame");
      style(frame, { position: "fixed", zIndex: "2147483001", border: "1px solid #6b7480",
        background: "#ffffff", boxShadow: "0 4px 24px rgba(0, 0, 0, 0.3)" });
      frame.addEventListener("load", function () {
        loaded = true;
        queue.splice(0).forEach(send);
        frame.focus();
      });
      document.body.appendChild(frame);
      window.addEventListener("resize", place);
    }
    place();
    frame.hidden = false;
    frame.style.display = "block";
    button.setAttribute("aria-expanded", "true");
    button.textContent = labels.close;
    if (loaded) { frame.focus(); }
  }

  function close() {
    if (!frame) { return; }
    frame.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.textContent = labels.open;
    button.focus();
  }

  button.addEventListener("click", function () {
    if (button.getAttribute("aria-expanded") === "true") { close(); } else { open(); }
  });
  window.addEventListener("message", function (event) {
    if (!frame || event.origin !== origin || event.source !== frame.contentWindow) { return; }
    if (event.data && event.data.type === "kcbot:close") { close(); }
  });

  function mount() { document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }

  window.kcbotChat = {
    open: open,
    close: close,
    identify: function (token) { send({ type: "kcbot:identity", token: String(token || "") }); }
  };
})();
