/* kcbot's web chat. Plain browser JavaScript, no build step, no third parties.
 *
 * - Text from the bot or the citizen is put in the page with textContent and text nodes only,
 *   never as HTML (the page's CSP also requires Trusted Types, so an HTML sink would throw).
 * - Every message gets a fresh message_id; a network error or a 5xx is retried with the same
 *   id, so the server answers a repeat from its store and never runs the turn twice.
 * - The conversation (session, transcript, a message still on its way) lives in
 *   sessionStorage: a reload continues it, closing the tab forgets it.
 * - The page's own words follow the conversation's language, the bot's `sprog` slot, which
 *   the server sends with each answer (X-Kcbot-Sprog): asking for English in Danish words
 *   switches them, and so does asking back. Before the first answer they follow ?lang= or
 *   the browser's language.
 */
(function () {
  "use strict";

  var STORE_KEY = "kcbot.chat.v1";
  var WEBHOOK = "/webhooks/rest/webhook";
  var SESSION = "/chat/session";
  var RETRY_DELAYS = [500, 1000, 2000, 4000, 8000, 8000];
  var REQUEST_TIMEOUT = 30000;
  var RENEW_BEFORE = 5 * 60; // seconds left on the session token when it is renewed
  var LANGUAGE_HEADER = "X-Kcbot-Sprog"; // the conversation's language, with each answer

  var LABELS = {
    da: {
      page: "Chat med Jobcenter København",
      title: "Jobcenter København",
      notice: "Du skriver med en automatisk chatbot",
      log: "Samtale",
      choices: "Vælg et svar, eller skriv selv:",
      input: "Skriv din besked",
      placeholder: "Fx: Jeg er syg i dag",
      send: "Send",
      hint: "Enter sender. Shift+Enter giver en ny linje.",
      close: "Luk chatten",
      retry: "Prøv igen",
      you: "Du skrev:",
      bot: "Chatbotten skrev:",
      typing: "Chatbotten skriver …",
      retrying: "Ingen forbindelse lige nu. Jeg prøver igen …",
      tooFast: "Du har skrevet mange beskeder på kort tid. Beskeden bliver sendt om lidt.",
      failed: "Beskeden kunne ikke sendes. Tjek din forbindelse, og prøv igen.",
      wait: "Vent på svaret, før du skriver igen.",
      empty: "Skriv en besked først.",
      newWindow: "(åbner i et nyt vindue)",
      restarted: "Chatten var udløbet, så samtalen er startet forfra."
    },
    en: {
      page: "Chat with Jobcenter København",
      title: "Jobcenter København",
      notice: "You are chatting with an automated chatbot",
      log: "Conversation",
      choices: "Choose an answer, or write your own:",
      input: "Write your message",
      placeholder: "E.g. I am ill today",
      send: "Send",
      hint: "Enter sends. Shift+Enter adds a new line.",
      close: "Close the chat",
      retry: "Try again",
      you: "You wrote:",
      bot: "The chatbot wrote:",
      typing: "The chatbot is typing …",
      retrying: "No connection right now. Trying again …",
      tooFast: "You have sent many messages in a short time. The message will be sent shortly.",
      failed: "The message could not be sent. Check your connection and try again.",
      wait: "Please wait for the answer before writing again.",
      empty: "Write a message first.",
      newWindow: "(opens in a new window)",
      restarted: "The chat had expired, so the conversation has started over."
    }
  };

  // Words that tell Danish from English in a short message; only a clear lead switches.
  var WORDS = {
    en: ["i", "my", "the", "is", "am", "can", "can't", "cannot", "not", "you", "and", "have",
      "to", "to", "with", "what", "how", "please", "sick", "meeting", "hello", "hi", "help",
      "tomorrow", "today", "yes", "no", "thanks", "thank", "want", "need", "job", "for", "of"],
    da: ["jeg", "min", "mit", "mine", "er", "ikke", "kan", "og", "har", "til", "med", "hvad",
      "hvordan", "syg", "møde", "mødet", "samtale", "hej", "hjælp", "i", "morgen", "dag", "ja",
      "nej", "tak", "vil", "skal", "det", "en", "et", "på", "af", "for", "jobcentret", "får"]
  };

  var $ = function (id) { return document.getElementById(id); };
  var log = $("log");
  var scroller = $("scroller");
  var input = $("input");
  var form = $("form");
  var choices = $("choices");
  var choiceButtons = $("choice-buttons");
  var typing = $("typing");
  var notice = $("notice");
  var noticeText = $("notice-text");
  var retryButton = $("retry");
  var closeButton = $("close");

  var params = new URLSearchParams(window.location.search);
  var embedded = params.get("embed") === "1" && window.parent !== window;
  var state = load();
  var busy = false;
  var sessionRequest = null;
  var noticeKey = null; // the label the notice shows, so it can follow a change of language

  function load() {
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || typeof saved !== "object" || !Array.isArray(saved.log)) {
      var wanted = params.get("lang") || (navigator.language || "da");
      saved = { session: null, log: [], pending: null, identity: null,
        lang: wanted.slice(0, 2).toLowerCase() === "en" ? "en" : "da" };
    }
    return saved;
  }

  function save() {
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: the chat still works, a reload starts over */ }
  }

  function L() { return LABELS[state.lang] || LABELS.da; }

  function detectLanguage(text, fallback) {
    var words = text.toLowerCase().split(/[^a-zæøå']+/);
    var score = { en: 0, da: 0 };
    words.forEach(function (w) {
      if (WORDS.en.indexOf(w) >= 0) { score.en += 1; }
      if (WORDS.da.indexOf(w) >= 0) { score.da += 1; }
    });
    if (/[æøå]/.test(text.toLowerCase())) { score.da += 2; }
    if (score.en >= 2 && score.en > score.da) { return "en"; }
    if (score.da >= 2 && score.da > score.en) { return "da"; }
    return fallback;
  }

  function applyLabels() {
    var labels = L();
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-label]").forEach(function (el) {
      var text = labels[el.getAttribute("data-label")];
      // a link's hidden "(opens in a new window)" keeps the space before it
      el.textContent = el.getAttribute("data-label") === "newWindow" ? " " + text : text;
    });
    document.querySelectorAll("[data-label-placeholder]").forEach(function (el) {
      el.placeholder = labels[el.getAttribute("data-label-placeholder")];
    });
    if (busy) { typing.textContent = labels.typing; }
    if (noticeKey) { noticeText.textContent = labels[noticeKey]; }
    document.querySelectorAll(".who").forEach(function (el) {
      el.textContent = labels[el.getAttribute("data-who")];
      el.lang = state.lang;
    });
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // Bot text as text nodes, with web addresses as links (built as elements, never parsed).
  function appendText(parent, text) {
    var pattern = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      var link = document.createElement("a");
      link.href = match[0];
      link.textContent = match[0];
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      var hint = document.createElement("span");
      hint.className = "sr-only";
      hint.setAttribute("data-label", "newWindow");
      hint.textContent = " " + L().newWindow;
      link.appendChild(hint);
      parent.appendChild(link);
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function render(entry) {
    var item = document.createElement("div");
    item.className = "msg msg-" + entry.who;
    var who = document.createElement("span");
    who.className = "who sr-only";
    who.setAttribute("data-who", entry.who === "user" ? "you" : "bot");
    who.lang = state.lang;
    who.textContent = L()[entry.who === "user" ? "you" : "bot"] + " ";
    var text = document.createElement("p");
    text.className = "text";
    text.lang = entry.lang || state.lang;
    if (entry.who === "bot") { appendText(text, entry.text); } else { text.textContent = entry.text; }
    item.appendChild(who);
    item.appendChild(text);
    log.appendChild(item);
    scrollDown();
  }

  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  function showChoices(buttons) {
    while (choiceButtons.firstChild) { choiceButtons.removeChild(choiceButtons.firstChild); }
    if (!buttons || !buttons.length || busy) { choices.hidden = true; return; }
    buttons.forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = String(b.title);
      button.addEventListener("click", function () { submit(String(b.payload), String(b.title)); });
      choiceButtons.appendChild(button);
    });
    choices.hidden = false;
    scrollDown();
  }

  function lastButtons() {
    var last = state.log[state.log.length - 1];
    return last && last.who === "bot" ? last.buttons : null;
  }

  // ``key``: a label (shown in the page's language, and re-shown if it changes) or null for
  // a text of the server's own (``message``).
  function setNotice(key, canRetry, message) {
    noticeKey = key && L()[key] !== undefined ? key : null;
    message = noticeKey ? L()[noticeKey] : (message || "");
    noticeText.textContent = message;
    notice.hidden = !message;
    retryButton.hidden = !canRetry;
  }

  function setBusy(value) {
    busy = value;
    typing.textContent = value ? L().typing : "";
    typing.classList.toggle("active", value);
    $("send").setAttribute("aria-disabled", value ? "true" : "false");
    if (value) { choices.hidden = true; } else { showChoices(lastButtons()); }
    scrollDown();
  }

  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function request(path, body, token) {
    var controller = new AbortController();
    var timer = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT);
    var headers = { "Content-Type": "application/json" };
    if (token) { headers.Authorization = "Bearer " + token; }
    return fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body),
      credentials: "omit", cache: "no-store", signal: controller.signal })
      .finally(function () { window.clearTimeout(timer); });
  }

  function remaining(session) {
    return session ? session.expires - Date.now() / 1000 : -1;
  }

  // One session request at a time: two at once would make two senders.
  function ensureSession() {
    if (!sessionRequest) {
      sessionRequest = fetchSession().finally(function () { sessionRequest = null; });
    }
    return sessionRequest;
  }

  async function fetchSession() {
    var left = remaining(state.session);
    if (left > RENEW_BEFORE) { return; }
    var body = left > 0 ? { token: state.session.token } : {};
    var response = await request(SESSION, body, null);
    if (!response.ok) { throw new Error("session " + response.status); }
    var data = await response.json();
    var renewed = state.session && state.session.sender === data.sender;
    if (state.session && !renewed && state.log.length) { state.restarted = true; }
    state.session = { sender: data.sender, token: data.token,
      expires: Date.now() / 1000 + data.expires_in };
    state.origins = Array.isArray(data.origins) ? data.origins : [];
    save();
  }

  // The conversation's language as the server says it: the page's words follow.
  function setLanguage(lang) {
    if ((lang === "da" || lang === "en") && lang !== state.lang) {
      state.lang = lang;
      save();
      applyLabels();
    }
  }

  function submit(payload, shown) {
    if (busy) { setNotice("wait", false); return; }
    var text = payload.trim();
    if (!text) { setNotice("empty", false); input.focus(); return; }
    // the language of the citizen's own words, for their message's lang attribute only: the
    // page's words follow the conversation's language, which the server decides
    var entry = { who: "user", text: shown, lang: detectLanguage(shown, state.lang) };
    state.log.push(entry);
    state.pending = { text: payload, id: newId() };
    save();
    render(entry);
    setNotice(null, false);
    input.focus();
    deliver();
  }

  async function deliver() {
    if (!state.pending) { return; }
    setBusy(true);
    for (var attempt = 0; ; attempt += 1) {
      var delay = RETRY_DELAYS[attempt];
      var why = "retrying";
      try {
        await ensureSession();
        var metadata = { message_id: state.pending.id };
        if (state.identity) { metadata.identity = state.identity; }
        var response = await request(WEBHOOK, { sender: state.session.sender,
          message: state.pending.text, metadata: metadata }, state.session.token);
        if (response.ok) {
          received(await response.json(), response.headers.get(LANGUAGE_HEADER));
          return;
        }
        var error = {};
        try { error = await response.json(); } catch (e) { error = {}; }
        if (response.status === 401 && error.code === "session") {
          state.session.expires = 0; // a new session; the server starts a new conversation
          save();
        } else if (response.status === 429) {
          delay = 1000 * (parseInt(response.headers.get("Retry-After"), 10) || 5);
          why = "tooFast";
        } else if (response.status < 500) {
          state.pending = null; // the server refused this message: say why, do not resend
          save();
          setBusy(false);
          setNotice(error.error ? null : "failed", false, error.error);
          return;
        }
      } catch (e) {
        // a network error or a timeout: the same message_id again
      }
      if (delay === undefined) { break; }
      if (attempt > 0 || why !== "retrying") { setNotice(why, false); }
      await sleep(delay);
    }
    setBusy(false);
    setNotice("failed", true);
  }

  function received(replies, lang) {
    state.pending = null;
    setLanguage(lang);
    if (state.restarted) {
      state.restarted = false;
      setNotice("restarted", false);
    } else {
      setNotice(null, false);
    }
    (Array.isArray(replies) ? replies : []).forEach(function (reply) {
      if (!reply || typeof reply.text !== "string") { return; }
      var entry = { who: "bot", text: reply.text,
        lang: lang === "da" || lang === "en" ? lang : detectLanguage(reply.text, "da") };
      if (Array.isArray(reply.buttons) && reply.buttons.length) { entry.buttons = reply.buttons; }
      state.log.push(entry);
      render(entry);
    });
    save();
    setBusy(false);
    if (document.activeElement === document.body || !document.activeElement) { input.focus(); }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (busy) { setNotice("wait", false); return; }
    if (text) { input.value = ""; }
    submit(text, text);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  retryButton.addEventListener("click", function () {
    setNotice(null, false);
    input.focus();
    deliver();
  });

  // Identity from the municipality's portal: ?identity=<JWT> (then removed from the address,
  // so it stays out of the history) or postMessage from the page that embeds the chat.
  var fromQuery = params.get("identity");
  if (fromQuery) {
    state.identity = fromQuery;
    params.delete("identity");
    var rest = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : ""));
    save();
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!embedded || event.source !== window.parent || !data || data.type !== "kcbot:identity"
        || typeof data.token !== "string") { return; }
    // Only the sites named in KCBOT_CHAT_ORIGINS (the server sends the list with the session).
    ensureSession().then(function () {
      if ((state.origins || []).indexOf(event.origin) < 0) { return; }
      state.identity = data.token || null;
      save();
    }).catch(function () { /* no session, no chat: the identity is not needed yet */ });
  });

  if (embedded) {
    closeButton.hidden = false;
    closeButton.addEventListener("click", function () {
      window.parent.postMessage({ type: "kcbot:close" }, "*");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage({ type: "kcbot:close" }, "*"); }
    });
    // The frame gets focus when it opens: the citizen can start typing at once.
    window.addEventListener("focus", function () {
      if (!document.activeElement || document.activeElement === document.body) { input.focus(); }
    });
  }

  applyLabels();
  state.log.forEach(render);
  // The session is fetched at once, so the origins allowed to send an identity are known.
  ensureSession().catch(function () { /* retried with the first message */ });
  if (state.pending) {
    deliver(); // the page was reloaded while a message was on its way: same id again
  } else {
    showChoices(lastButtons());
  }
  if (embedded) { input.focus(); }
})();
