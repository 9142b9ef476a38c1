// The agent console (/console): one page over /ws/agent. Plain ES2017, no framework, no build step.
//
// Safety rule of this file: anything a visitor (or any person) typed is put in the page with textContent or as
// an attribute value through setAttribute, never as markup; links are made only from http(s) URLs.
//
// What this browser keeps (localStorage, keys "chatsvc.console.<user id>."): per chat a draft {text, mode} and the
// last seq seen; one key per message not acknowledged yet ("out.<client id>"); the sound setting, "away" and the
// chat shown. Signing out from the console page (the top bar's form) removes all of it; two tabs share it (a
// "storage" listener keeps drafts in step).
"use strict";

(function () {
  var data = JSON.parse(document.getElementById("cx-data").textContent);
  var S = data.strings;
  var me = data.me;
  var LS = "chatsvc.console." + me.id + ".";
  // Times in the browser's own locale when it speaks the page's language (24-hour clocks in en-GB), else the page's.
  var LOCALE = (navigator.language || "").slice(0, 2).toLowerCase() === data.lang ? navigator.language : data.lang;
  // Every error code the socket or the JSON API can answer the console with has its sentence in the page's language.
  var ERROR_CODES = ["over_capacity", "not_found", "invalid_state", "rate_limited", "bad_frame", "forbidden", "error",
    "csrf_failed", "bad_request", "conflict", "unavailable", "internal", "http_error", "unauthorized",
    "password_change_required", "too_many_connections", "slow_consumer", "origin_not_allowed", "unsupported_version",
    "no_answer"];
  var MAX_TEXT = 4000;  // code points, as the server counts them
  var ACK_TIMEOUT = 8000;
  var IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || "");

  // --- small helpers ---------------------------------------------------------------------------------------

  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (all, name) {
        return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
      });
    }
    return text;
  }

  function tp(key, n) {  // singular or plural (French counts 0 and 1 as singular)
    var one = n === 1 || (data.lang === "fr" && n === 0);
    return t(key + (one ? ".one" : ".other"), { n: n });
  }

  function tOr(key, fallback) {
    return Object.prototype.hasOwnProperty.call(S, key) ? S[key] : String(fallback || "");
  }

  // Lengths and cuts by code points: an emoji is one, and a cut never splits a surrogate pair.
  function codePoints(text) { return Array.from(String(text)).length; }
  function cutText(text, max) {
    var value = String(text);
    if (value.length <= max) return value;
    return Array.from(value).slice(0, max).join("");
  }

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clone(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  var signingOut = false;

  function store(key, value) {
    if (signingOut) return;
    try {
      if (value === null || value === undefined || value === "") window.localStorage.removeItem(LS + key);
      else window.localStorage.setItem(LS + key, typeof value === "string" ? value : JSON.stringify(value));
    } catch (e) { /* private mode, full: memory is enough */ }
  }

  function load(key, json) {
    try {
      var value = window.localStorage.getItem(LS + key);
      if (value === null) return null;
      return json ? JSON.parse(value) : value;
    } catch (e) {
      return null;
    }
  }

  function storedKeys() {  // this person's console keys, without the prefix
    var keys = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(LS) === 0) keys.push(key.slice(LS.length));
      }
    } catch (e) { /* storage unavailable */ }
    return keys;
  }

  // A draft is {text, mode} (older pages kept the bare text).
  function parseDraft(value) {
    if (!value) return { text: "", mode: "reply" };
    try {
      var draft = JSON.parse(value);
      if (draft && typeof draft.text === "string") return { text: draft.text, mode: draft.mode === "note" ? "note" : "reply" };
    } catch (e) { /* the bare text */ }
    return { text: String(value), mode: "reply" };
  }

  // The messages not acknowledged yet: one key each, so that two tabs never overwrite each other's.
  function loadOutbox() {
    var entries = [];
    var old = load("outbox", true);  // the single list older pages kept
    if (Array.isArray(old)) {
      old.forEach(function (entry) {
        if (entry && entry.client_id) store("out." + entry.client_id, entry);
      });
      store("outbox", null);
    }
    storedKeys().forEach(function (key) {
      if (key.indexOf("out.") !== 0) return;
      var entry = load(key, true);
      if (entry && entry.client_id && entry.conversation && typeof entry.text === "string") entries.push(entry);
    });
    entries.sort(function (a, b) { return (a.at || "") < (b.at || "") ? -1 : (a.at || "") > (b.at || "") ? 1 : 0; });
    return entries;
  }

  function httpUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // Control characters (but line breaks and tabs) are taken out of what is sent: the server refuses them in
  // notes and stores nothing a person could not have typed.
  function clean(text) {
    return String(text).replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, "");
  }

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) return "c-" + window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "c-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function initial(name) {
    var text = (name || "?").trim();
    return text ? text.charAt(0).toUpperCase() : "?";
  }

  function hue(text) {
    var h = 0;
    for (var i = 0; i < (text || "").length; i++) h = (h * 31 + text.charCodeAt(i)) % 360;
    return h;
  }

  function setAvatar(node, name, key) {
    node.textContent = initial(name);
    node.setAttribute("data-hue", String(Math.floor(hue(key || name) / 45)));
  }

  // One formatter each, made once: toLocale*String builds a new one per call (a replay formats every event).
  var formats = {};
  function formatter(name, options) {
    if (!formats[name]) {
      try {
        formats[name] = new Intl.DateTimeFormat(LOCALE, options);
      } catch (e) {
        formats[name] = { format: function (date) { return date.toLocaleString(LOCALE, options); } };
      }
    }
    return formats[name];
  }

  function timeOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return formatter("time", { hour: "2-digit", minute: "2-digit" }).format(date);
  }

  function dateOf(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return formatter("date", { day: "numeric", month: "short", year: "numeric" }).format(date);
  }

  function since(iso) {
    var start = new Date(iso).getTime();
    if (isNaN(start)) return "";
    var s = Math.max(0, Math.floor((Date.now() - start) / 1000));
    if (s < 60) return t("console.wait.s", { n: s });
    var m = Math.floor(s / 60);
    if (m < 60) return t("console.wait.m", { n: m });
    return t("console.wait.h", { h: Math.floor(m / 60), m: m % 60 });
  }

  function secondsSince(iso) {
    var start = new Date(iso).getTime();
    return isNaN(start) ? 0 : (Date.now() - start) / 1000;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = data.csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login?next=/console");
        throw new Error("signed out");
      }
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error(json.message || ("HTTP " + response.status));
          error.code = json.error || (response.status >= 500 ? "internal" : "http_error");
          throw error;
        }
        return json;
      });
    });
  }

  // --- state -------------------------------------------------------------------------------------------

  var chats = {};        // conversation id -> chat
  var order = [];        // chat ids in list order
  var active = null;     // the chat shown in the middle
  var viewing = null;    // a read-only earlier conversation shown instead (not a chat of the list)
  var queue = [];
  var teams = {};
  var presence = { status: "online", load: 0, capacity: data.capacity };
  var ws = null;
  var welcomed = false;
  var attempt = 0;
  var retryTimer = null;
  var muted = load("muted") === "1";
  var pausedUntil = 0;   // after rate_limited: nothing is sent again before this time
  var pauseTimer = null;

  var ui = {
    app: $("#cx-app"),
    connection: $("[data-c=connection]"),
    status: $("[data-c=status]"),
    load: $("[data-c=load]"),
    loadFill: $(".cx-loadbar-fill"),
    list: $("[data-c=chat-list]"),
    listEmpty: $("#cx-chats-empty"),
    chatsCount: $("#cx-chats-count"),
    queue: $("[data-c=queue]"),
    queueEmpty: $("#cx-queue-empty"),
    queueCount: $("#cx-queue-count"),
    panes: $("#cx-panes"),
    empty: $("#cx-empty"),
    banner: $("[data-c=banner]"),
    details: $("[data-c=details]"),
    detailsEmpty: $("#cx-details-empty"),
    detailsBody: $("#cx-details-body"),
    announce: $("#cx-announce"),
    alert: $("#cx-alert"),
    clearEnded: $("[data-c=clear-ended]"),
    help: $("[data-c=help]"),
    mute: $("[data-c=mute]"),
    notify: $("[data-c=notify]"),
  };
  var baseTitle = document.title;

  // --- the socket ----------------------------------------------------------------------------------------

  function setConnection(state, text) {
    ui.connection.setAttribute("data-state", state);
    $(".cx-conn-text", ui.connection).textContent = text;
    ui.status.disabled = state !== "online";
    if (state !== "online") {  // not known until the welcome says it again: nothing is shown as chosen
      ui.status.selectedIndex = -1;
      ui.status.setAttribute("data-value", "unknown");
    }
    ui.app.setAttribute("data-connection", state);
  }

  function connect() {
    retryTimer = null;
    setConnection("connecting", t("console.conn.connecting"));
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/agent");
    ws = socket;
    welcomed = false;
    socket.onopen = function () {
      var hello = { type: "hello", v: 1 };
      if (load("status") === "away") hello.status = "away";  // offline is never kept across a reload
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = function (message) {
      if (socket !== ws) return;
      var frame;
      try {
        frame = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      try {
        onFrame(frame);
      } catch (e) {
        if (window.console) window.console.error(e);
      }
    };
    socket.onclose = function (event) {
      if (socket !== ws) return;
      ws = null;
      lineDown();
      if (event.code === 1008 && event.reason === "password_change_required") {
        window.location.assign("/account/password");
        return;
      }
      if (event.code === 1008 && event.reason !== "hello_timeout") {
        // The session ended (signed out, password changed, account disabled...) or was never valid.
        window.location.assign("/login?next=/console");
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    var ceiling = Math.min(15000, 500 * Math.pow(2, attempt));
    var delay = Math.max(500, Math.round(ceiling / 2 + Math.random() * ceiling / 2));
    attempt += 1;
    setConnection("offline", t("console.conn.offline", { s: Math.ceil(delay / 1000) }));
    retryTimer = window.setTimeout(connect, delay);
    Object.keys(chats).forEach(function (id) { setTyping(chats[id], false); });
  }

  // The line is down: nothing is in flight any more; each chat is synced again after the next welcome.
  function lineDown() {
    welcomed = false;
    Object.keys(chats).forEach(function (id) {
      var chat = chats[id];
      chat.synced = false;
      chat.queue.forEach(function (pending) {
        window.clearTimeout(pending.timer);
        pending.inFlight = false;
      });
    });
  }

  // Acks stopped coming: the socket may be dead without knowing it. A new one, and a replay, tell what was stored.
  function reopen() {
    var old = ws;
    if (!old) return;
    ws = null;
    lineDown();
    try {
      old.close(4000, "no_ack");
    } catch (e) { /* closed already */ }
    scheduleReconnect();
  }

  function send(frame) {
    if (!ws || ws.readyState !== WebSocket.OPEN || !welcomed) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  window.addEventListener("online", function () {
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
      connect();
    }
  });

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome": return onWelcome(frame);
      case "presence": return onPresence(frame);
      case "chat": return onChat(frame);
      case "event": return onEvent(frame);
      case "synced": return onSynced(frame);
      case "ack": return onAck(frame);
      case "typing": return onTyping(frame);
      case "read": return onRead(frame);
      case "visitor": return onVisitor(frame);
      case "waiting": return onWaiting(frame);
      case "error": return onError(frame);
      default: return undefined;
    }
  }

  function onWelcome(frame) {
    welcomed = true;
    attempt = 0;
    setConnection("online", t("console.conn.online"));
    (frame.teams || []).forEach(function (team) { teams[team.id] = team.name; });
    presence.status = frame.status || presence.status;
    presence.capacity = frame.capacity || presence.capacity;
    renderPresence();
    var held = {};
    (frame.conversations || []).forEach(function (info) {
      held[info.id] = true;
      var chat = ensureChat(info, false);
      if (chat.ended) {
        chat.ended = false;
        renderEnded(chat);
      }
      resync(chat);
    });
    // Chats this page shows that left us while the line was down: only the chats of the welcome are synced (a
    // sync would make the server follow a chat that is someone else's now). How they ended is read once, read only.
    Object.keys(chats).forEach(function (id) {
      var chat = chats[id];
      if (!held[id] && !chat.ended) {
        endChat(chat, "left");
        readFinal(chat);
      }
    });
    sortChats();
    if (!pruned) prune(held);
    renderQueue();
    if (!active && !viewing && order.length) {
      var remembered = load("active");
      activate(remembered && chats[remembered] ? remembered : order[0], false);
    }
  }

  // A replay is coming: its events are the past (no tone, no announcement) until its synced.
  function resync(chat) {
    if (chat.synced || chat.replayStick === undefined) {  // read once per replay (an empty log is at its bottom)
      chat.replayStick = !chat.lastSeq || chat.pane.hidden || nearBottom(chat);
    }
    chat.synced = false;
    chat.log.setAttribute("aria-busy", "true");
    send({ type: "sync", conversation: chat.id, after_seq: chat.lastSeq });
  }

  function readFinal(chat) {
    api("GET", "/api/conversations/" + encodeURIComponent(chat.id)).then(function (body) {
      if (chats[chat.id] !== chat) return;
      if (chat.replayStick === undefined) chat.replayStick = chat.pane.hidden || nearBottom(chat);
      if (body.conversation) chat.info = Object.assign({}, chat.info, body.conversation);
      (body.events || []).forEach(function (event) {
        if (event.seq > chat.lastSeq) {
          chat.lastSeq = event.seq;
          addEvent(chat, Object.assign({ conversation: chat.id }, event), false);
        }
      });
      flushReplay(chat, true);
      chat.log.removeAttribute("aria-busy");
      if (chat.info.status === "closed" && chat.endReason !== "closed") {
        chat.endReason = "closed";
        renderEnded(chat);
      }
    }).catch(function () { /* no longer readable: it stays as it was */ });
  }

  // After a reload, what this browser kept for chats that are no longer ours (drafts, read marks, unsent
  // messages) can never be used again: forget it.
  var pruned = false;
  function prune(held) {
    pruned = true;
    try {
      var gone = [];
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        var match = key && key.indexOf(LS) === 0 && /^(draft|seen)\.(.+)$/.exec(key.slice(LS.length));
        if (match && !held[match[2]] && !chats[match[2]]) gone.push(key);
      }
      gone.forEach(function (key) { window.localStorage.removeItem(key); });
    } catch (e) { /* storage unavailable */ }
    loadOutbox().forEach(function (entry) {
      if (!held[entry.conversation] && !chats[entry.conversation]) store("out." + entry.client_id, null);
    });
  }

  function onPresence(frame) {
    presence.status = frame.status;
    presence.load = frame.load;
    presence.capacity = frame.capacity;
    renderPresence();
    renderQueue();
  }

  function renderPresence() {
    ui.status.value = presence.status;
    ui.status.setAttribute("data-value", presence.status);
    ui.load.textContent = presence.load + "/" + presence.capacity;
    var share = presence.capacity ? Math.min(1, presence.load / presence.capacity) : 1;
    ui.loadFill.style.width = Math.round(share * 100) + "%";
    ui.app.setAttribute("data-full", presence.load >= presence.capacity ? "true" : "false");
  }

  function onChat(frame) {
    var info = frame.conversation;
    if (frame.mine) {
      var known = chats[info.id];
      var chat = ensureChat(info, true);
      var wasEnded = known && known.ended;
      if (wasEnded) {
        chat.ended = false;
        chat.endedAt = null;
        renderEnded(chat);
        sortChats();
        renderCounts();
      }
      if (!known || wasEnded) announceChat(chat);
      if (!active && !viewing) activate(info.id, false);
    } else {
      var gone = chats[info.id];
      if (gone) {
        gone.info = info;
        var transfer = gone.transfer;
        if (transfer) {
          window.clearTimeout(transfer.timer);
          gone.transfer = null;
        }
        endChat(gone, info.status === "closed" ? "closed" : "left");
        if (transfer) {  // the answer to our transfer: now it is done
          showBanner(t(transfer.toAgent ? "console.transfer.sent" : "console.transfer.requeued"), "notice");
        }
      }
    }
  }

  function onEvent(frame) {
    var chat = chats[frame.conversation];
    if (!chat) return;
    if (frame.seq <= chat.lastSeq) return;  // shown already (replays may overlap)
    chat.lastSeq = frame.seq;
    addEvent(chat, frame, true);
  }

  function onSynced(frame) {
    var chat = chats[frame.conversation];
    if (!chat) return;
    chat.synced = true;
    flushReplay(chat, true);
    chat.log.removeAttribute("aria-busy");
    // Messages this page sent but never saw acknowledged go again, one by one, with the same client id.
    pump(chat);
  }

  function onAck(frame) {
    var chat = chats[frame.conversation];
    dropOutbox(frame.client_id);
    if (!chat) return;
    var pending = chat.pending[frame.client_id];
    if (!pending) return;
    settle(chat, pending);
    var shown = frame.seq <= chat.lastSeq && $('.cx-ev[data-seq="' + frame.seq + '"]', chat.log);
    if (shown && shown !== pending.node) {  // its event is on screen already: one line, not two
      pending.node.remove();
      delete chat.pending[frame.client_id];
      return;
    }
    // The ack may come before the event: the line stays matched to its client id until the event arrives.
    pending.acked = true;
    pending.seq = frame.seq;
    pending.node.setAttribute("data-seq", String(frame.seq));
    setState(chat, pending.node, pending.kind === "message" && frame.seq <= chat.readSeq ? "seen" : "sent");
  }

  function onTyping(frame) {
    var chat = chats[frame.conversation];
    if (!chat || !frame.who || frame.who.role !== "visitor") return;
    setTyping(chat, frame.active, frame.who.name);
  }

  function onRead(frame) {
    var chat = chats[frame.conversation];
    if (!chat) return;
    markSeen(chat, frame.seq);
  }

  function onVisitor(frame) {
    var chat = chats[frame.conversation];
    if (!chat) return;
    chat.visitor = Object.assign({}, chat.visitor || {}, frame.visitor || {});
    if (frame.visitor && frame.visitor.name) {
      chat.info.visitor = Object.assign({}, chat.info.visitor || {}, { name: frame.visitor.name });
      renderChatHead(chat);
      renderChatItem(chat);
      var shown = visitorName(chat);
      $$('.cx-ev[data-author-role="visitor"] .cx-author', chat.log).forEach(function (node) { node.textContent = shown; });
    }
    if (active === chat.id) renderDetails();
  }

  function onWaiting(frame) {
    queue = frame.conversations || [];
    renderQueue();
  }

  function onError(frame) {
    if (frame.ref) {
      for (var id in chats) {
        var pending = chats[id].pending[frame.ref];
        if (pending) {
          failPending(chats[id], pending, frame);
          return;
        }
      }
    }
    if (frame.code === "rate_limited") {
      // A dropped frame, which one is not said: wait a little, then what may have been dropped goes again.
      pause(1500);
      return;
    }
    // An error without ref while a transfer waits for its answer is that answer: it shows in the dialog.
    var waiting = transferWaiting();
    if (waiting) {
      transferFailed(waiting, frame.code);
      return;
    }
    showBanner(errorText(frame.code), "error");
    renderQueue();  // a refused pick: its button comes back
  }

  function errorText(code) {
    return t(ERROR_CODES.indexOf(code) >= 0 ? "console.error." + code : "console.error.error");
  }

  // --- chats -----------------------------------------------------------------------------------------------

  // A visitor who gave no name has the server's default one ("Visitor"): shown as "Visitor 7F3A", the last four
  // characters of the conversation id, so that two anonymous visitors are told apart everywhere.
  var DEFAULT_VISITOR = "Visitor";
  function displayName(name, conversation) {
    var given = typeof name === "string" ? name.trim() : "";
    if (given && given !== DEFAULT_VISITOR) return given;
    var tag = String(conversation || "").replace(/[^A-Za-z0-9]/g, "").slice(-4).toUpperCase();
    return tag ? t("console.visitor.tag", { tag: tag }) : t("console.visitor");
  }

  function visitorName(chat) {
    var fromDetails = chat.visitor && chat.visitor.name;
    if (fromDetails && fromDetails !== DEFAULT_VISITOR) return fromDetails;
    return displayName(chat.info.visitor && chat.info.visitor.name, chat.id);
  }

  function ensureChat(info, live) {
    var chat = chats[info.id];
    if (chat) {
      chat.info = Object.assign({}, chat.info, info);
      renderChatHead(chat);
      renderChatItem(chat);
      return chat;
    }
    chat = {
      id: info.id,
      info: info,
      lastSeq: 0,
      readSeq: 0,
      seenSeq: Number(load("seen." + info.id)) || 0,
      unread: 0,
      ended: false,
      synced: false,
      pending: {},
      queue: [],         // pending messages and notes in the order they go, the first one in flight
      endedAt: null,
      transfer: null,    // {toAgent, dialog parts} while a transfer waits for its answer
      articleTitles: {}, // article id -> title, from the bot's turns (a "choice" names the article by id)
      lastVisitorAt: null,
      lastAt: info.created_at,
      lastText: "",
      answered: true,
      visitor: null,
      history: null,
      mode: "reply",
      draft: "",
      draftMode: "reply",
      typingTimer: null,
      myTyping: false,
      myTypingAt: 0,
      typedAt: 0,        // when the agent last typed in this tab's composer
      myTypingTimer: null,
    };
    var draft = parseDraft(load("draft." + info.id));
    chat.draft = draft.text;
    chat.draftMode = draft.mode;
    chats[info.id] = chat;
    order.push(info.id);
    buildChatItem(chat);
    buildPane(chat);
    setMode(chat, draft.mode);
    restoreOutbox(chat);
    loadDetails(chat);
    renderChatItem(chat);
    renderCounts();
    return chat;
  }

  function buildChatItem(chat) {
    var item = clone("tpl-chat-item");
    item.setAttribute("data-conversation", chat.id);
    item.id = "cx-tab-" + chat.id;
    item.setAttribute("aria-controls", "cx-pane-" + chat.id);
    item.addEventListener("click", function () { activate(chat.id, true); });
    item.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var next = neighbour(chat.id, event.key === "ArrowDown" ? 1 : -1);
        if (next) {
          activate(next, false);
          chats[next].item.focus();
        }
      }
    });
    chat.item = item;
    ui.list.appendChild(item);
  }

  function renderChatItem(chat) {
    var item = chat.item;
    if (!item) return;
    var name = visitorName(chat);
    $("[data-c=chat-name]", item).textContent = name;
    setAvatar($(".cx-avatar", item), name, chat.id);
    var last = $(".cx-chat-last", item);
    last.textContent = chat.typing ? t("console.typing.short") : chat.lastText || (chat.info.topic ? chat.info.topic : "");
    item.setAttribute("data-typing", chat.typing ? "true" : "false");
    var unread = $("[data-c=unread]", item);
    unread.textContent = chat.unread ? String(chat.unread) : "";
    unread.hidden = !chat.unread;
    unread.setAttribute("aria-label", chat.unread ? tp("console.unread", chat.unread) : "");
    item.setAttribute("aria-selected", active === chat.id ? "true" : "false");
    item.setAttribute("tabindex", active === chat.id || (!active && order[0] === chat.id) ? "0" : "-1");
    item.setAttribute("data-ended", chat.ended ? "true" : "false");
    renderWait(chat);
  }

  // Open chats first, in the order they came; ended ones after them.
  function sortChats() {
    var open = order.filter(function (id) { return !chats[id].ended; });
    var ended = order.filter(function (id) { return chats[id].ended; });
    order = open.concat(ended);
    order.forEach(function (id) { ui.list.appendChild(chats[id].item); });
    ui.clearEnded.hidden = ended.length === 0;
  }

  function renderWait(chat) {
    var wait = $("[data-c=wait]", chat.item);
    if (chat.ended) {
      wait.textContent = t(chat.endReason === "left" ? "console.chat.transferred" : "console.chat.ended");
      wait.removeAttribute("data-level");
      return;
    }
    if (!chat.answered && chat.lastVisitorAt) {
      var s = secondsSince(chat.lastVisitorAt);
      wait.textContent = since(chat.lastVisitorAt);
      wait.setAttribute("data-level", s >= 120 ? "late" : s >= 45 ? "soon" : "fresh");
      wait.title = t("console.wait.waiting");
    } else {
      wait.textContent = since(chat.lastAt || chat.info.created_at);
      wait.removeAttribute("data-level");
      wait.title = t("console.wait.last");
    }
  }

  function renderCounts() {
    var open = order.filter(function (id) { return !chats[id].ended; }).length;
    ui.chatsCount.textContent = String(open);
    ui.listEmpty.hidden = order.length > 0;
    var unread = order.reduce(function (sum, id) { return sum + (chats[id].ended ? 0 : chats[id].unread); }, 0);
    document.title = (unread ? "(" + unread + ") " : "") + baseTitle;
  }

  function neighbour(id, step) {
    var index = order.indexOf(id);
    if (index < 0) return order[0] || null;
    var next = index + step;
    if (next < 0 || next >= order.length) return null;
    return order[next];
  }

  function activate(id, focus) {
    var chat = chats[id];
    if (!chat) return;
    closeViewing();
    var previous = active && chats[active];
    if (previous && previous !== chat) {
      saveDraft(previous);
      closePopups(previous);
      previous.pane.hidden = true;
      stopMyTyping(previous);
    }
    active = id;
    store("active", id);
    chat.pane.hidden = false;
    ui.empty.hidden = true;
    if (!ui.banner.hidden) placeBanner();
    order.forEach(function (other) { renderChatItem(chats[other]); });
    markViewed(chat);
    renderDetails();
    autosize(chat);
    scrollDown(chat, true);
    if (focus && !chat.ended) chat.composer.focus();
  }

  function markViewed(chat) {  // an earlier conversation shown read only hides the active chat: not viewed
    if (document.hidden || active !== chat.id || viewing) return;
    chat.unread = 0;
    if (chat.lastSeq > chat.seenSeq) {
      chat.seenSeq = chat.lastSeq;
      store("seen." + chat.id, String(chat.seenSeq));
    }
    renderChatItem(chat);
    renderCounts();
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && active && chats[active]) markViewed(chats[active]);
  });

  function endChat(chat, why) {
    if (chat.ended) return;
    chat.ended = true;
    chat.endReason = why;
    chat.endedAt = Date.now();
    closePopups(chat);
    stopMyTyping(chat);
    setTyping(chat, false);
    // What was still waiting to go never will: it shows failed, to copy (no retry in an ended chat).
    chat.queue.forEach(function (pending) {
      window.clearTimeout(pending.timer);
      pending.inFlight = false;
      setState(chat, pending.node, "failed");
    });
    chat.queue = [];
    $$(".cx-ev[data-state=failed]", chat.log).forEach(function (node) { setState(chat, node, "failed"); });
    renderEnded(chat);
    renderChatItem(chat);
    sortChats();
    renderCounts();
  }

  function renderEnded(chat) {
    var pane = chat.pane;
    pane.setAttribute("data-ended", chat.ended ? "true" : "false");
    var bar = $(".cx-ended", pane);
    bar.hidden = !chat.ended;
    $(".cx-ended-text", bar).textContent = chat.ended
      ? t(chat.endReason === "left" ? "console.ended.left" : "console.ended.closed") : "";
    chat.composer.readOnly = chat.ended;  // read only, not disabled: a draft left in it can still be copied
    chat.composer.setAttribute("aria-readonly", chat.ended ? "true" : "false");
    // An ended chat shows no composer, unless a draft was left in it (still there to copy).
    $(".cx-compose", pane).hidden = chat.ended && !chat.composer.value.trim();
    $("[data-c=send]", pane).disabled = chat.ended;
    $$("[data-c=transfer], [data-c=convert], [data-c=close], [data-c=note-mode], .cx-mode-reply, [data-c=kb-open], " +
      ".cx-canned-btn", pane).forEach(function (button) { button.disabled = chat.ended; });
    $("[data-c=dismiss]", pane).hidden = !chat.ended;
    if (chat.item) renderChatItem(chat);
  }

  function closePopups(chat) {
    if (dialog && dialog.chat === chat) closeDialog();
    closeCanned(chat);
    closeKb(chat);
  }

  function dismiss(chat) {
    if (!chat.ended) return;
    var index = order.indexOf(chat.id);
    order.splice(index, 1);
    chat.item.remove();
    chat.pane.remove();
    delete chats[chat.id];
    store("draft." + chat.id, null);
    store("seen." + chat.id, null);
    loadOutbox().forEach(function (entry) {
      if (entry.conversation === chat.id) store("out." + entry.client_id, null);
    });
    if (active === chat.id) {
      active = null;
      store("active", null);
      var next = order[Math.min(index, order.length - 1)];
      if (next) activate(next, true);
      else {
        ui.empty.hidden = false;
        renderDetails();
      }
    }
    sortChats();
    renderCounts();
  }

  // Ended chats leave the list by themselves after a while (not the one shown, nor one holding a draft or a
  // message that did not go), or all at once with "Clear ended".
  var ENDED_KEEP = 10 * 60 * 1000;
  function dismissOld() {
    order.slice().forEach(function (id) {
      var chat = chats[id];
      if (!chat.ended || id === active || Date.now() - chat.endedAt < ENDED_KEEP) return;
      if (chat.composer.value.trim() || $(".cx-ev[data-state=failed]", chat.log)) return;
      dismiss(chat);
    });
  }

  // --- announcements ---------------------------------------------------------------------------------------

  function announce(text) {
    ui.announce.textContent = "";
    window.setTimeout(function () { ui.announce.textContent = text; }, 30);
  }

  function announceChat(chat) {
    var name = visitorName(chat);
    announce(t("console.new_chat", { name: name }));
    tone();
    notify(chat, t("console.new_chat", { name: name }), t("console.notify.body"), true);
  }

  // A browser notification while the tab is hidden: always for a new chat, at most one every 20 s for a
  // message in a chat already there.
  var lastNotice = 0;
  function notify(chat, title, body, always) {
    if (!document.hidden || !("Notification" in window) || window.Notification.permission !== "granted") return;
    if (!always && Date.now() - lastNotice < 20000) return;
    lastNotice = Date.now();
    try {
      var note = new window.Notification(title, { body: body, tag: "chatsvc-" + chat.id });
      note.onclick = function () {
        window.focus();
        if (chats[chat.id]) activate(chat.id, true);
        note.close();
      };
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  // Browsers let a page play sound only after the person interacted with it: the context is made then.
  var audio = null;
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      try {
        audio = new Context();
      } catch (e) { /* no sound */ }
    }
    if (audio && audio.state === "suspended" && audio.resume) audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);

  var lastTone = 0;
  function tone() {  // at most one every 3 s
    if (muted || !audio || Date.now() - lastTone < 3000) return;
    lastTone = Date.now();
    try {
      var now = audio.currentTime;
      [660, 880].forEach(function (freq, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, now + i * 0.14);
        gain.gain.exponentialRampToValueAtTime(0.12, now + i * 0.14 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.14 + 0.22);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(now + i * 0.14);
        osc.stop(now + i * 0.14 + 0.25);
      });
    } catch (e) { /* no sound is fine */ }
  }

  function renderMute() {
    ui.mute.setAttribute("aria-pressed", muted ? "true" : "false");
    var label = t(muted ? "console.unmute" : "console.mute");
    ui.mute.setAttribute("aria-label", label);
    ui.mute.title = label;
  }

  ui.mute.addEventListener("click", function () {
    muted = !muted;
    store("muted", muted ? "1" : null);
    renderMute();
  });

  function renderNotify() {
    var supported = "Notification" in window;
    var permission = supported ? window.Notification.permission : "denied";
    ui.notify.setAttribute("data-permission", supported ? permission : "unsupported");
    var label = !supported ? t("console.notify.unsupported") : permission === "granted" ? t("console.notify.on")
      : permission === "denied" ? t("console.notify.denied") : t("console.notify");
    ui.notify.setAttribute("aria-label", label);
    ui.notify.title = label;
    ui.notify.setAttribute("aria-pressed", permission === "granted" ? "true" : "false");
  }

  ui.notify.addEventListener("click", function () {
    if (!("Notification" in window)) return;
    if (window.Notification.permission === "default") {
      var asked = window.Notification.requestPermission(renderNotify);
      if (asked && asked.then) asked.then(renderNotify);
    } else {
      showBanner(t(window.Notification.permission === "granted" ? "console.notify.on" : "console.notify.denied"),
        "notice");
    }
  });

  // --- the log ---------------------------------------------------------------------------------------------

  function buildPane(chat) {
    var pane = clone("tpl-pane");
    pane.setAttribute("data-conversation", chat.id);
    pane.id = "cx-pane-" + chat.id;
    pane.setAttribute("aria-labelledby", "cx-tab-" + chat.id);
    chat.pane = pane;
    chat.log = $("[data-c=log]", pane);
    chat.log.setAttribute("aria-busy", "true");
    chat.composer = $("[data-c=composer]", pane);
    chat.composer.value = chat.draft;
    renderChatHead(chat);
    wirePane(chat);
    ui.panes.appendChild(pane);
    renderEnded(chat);
  }

  function renderChatHead(chat) {
    if (!chat.pane) return;
    var name = visitorName(chat);
    $(".cx-pane-name", chat.pane).textContent = name;
    setAvatar($(".cx-avatar", chat.pane), name, chat.id);
    var parts = [];
    if (chat.visitor && chat.visitor.email) parts.push(chat.visitor.email);
    if (chat.info.topic) parts.push(chat.info.topic);
    if (chat.info.team) parts.push(t("console.queue.team", { team: chat.info.team }));
    parts.push(t("console.started", { time: timeOf(chat.info.created_at) }));
    $(".cx-pane-sub", chat.pane).textContent = parts.join(" · ");
  }

  var SYSTEM_KINDS = ["opened", "queued", "assigned", "transferred", "requeued", "closed", "choice", "feedback"];

  function systemText(chat, event) {
    var d = event.data || {};
    var who = event.author && event.author.name;
    switch (event.kind) {
      case "opened":
        return d.topic ? t("console.ev.opened.topic", { topic: d.topic }) : t("console.ev.opened");
      case "queued":
        return d.reason ? tOr("console.ev.queued." + d.reason, t("console.ev.queued")) : t("console.ev.queued");
      case "assigned":
        return t("console.ev.assigned", { name: d.agent_name || "" });
      case "transferred":
        return t("console.ev.transferred", { name: d.agent_name || "" });
      case "requeued":
        return tOr("console.ev.requeued." + d.reason, t("console.ev.requeued.transferred"));
      case "closed":
        if (d.resolution === "ticket") return t("console.ev.closed.ticket", { name: who || "" });
        if (d.resolution === "bot") return t("console.ev.closed.bot");
        if (d.reason === "left") return t("console.ev.closed.left");
        return t("console.ev.closed", { name: who || "" });
      case "choice":
        if (d.article) {  // named by the title the bot's card carried, when this page saw it
          var title = chat.articleTitles && chat.articleTitles[d.article];
          return title ? t("console.ev.choice.article", { article: title }) : t("console.ev.choice.some_article");
        }
        return t("console.ev.choice.menu", { label: event.text || d.menu_item || "" });
      case "feedback":
        return t(d.helpful ? "console.ev.feedback.yes" : "console.ev.feedback.no");
      default:
        return t("console.ev.other");
    }
  }

  function eventNode(chat, event, ownPending) {
    var author = event.author || { role: "system", name: "" };
    var kind = event.kind;
    var node = el("li", "cx-ev");
    node.setAttribute("data-c", "event");
    node.setAttribute("data-kind", kind);
    node.setAttribute("data-author-role", author.role || "system");
    if (event.seq) node.setAttribute("data-seq", String(event.seq));
    if (SYSTEM_KINDS.indexOf(kind) >= 0) {
      node.classList.add("cx-ev-system");
      var line = el("span", "cx-sys-text");
      line.setAttribute("data-c", "text");
      line.setAttribute("dir", "auto");
      line.textContent = systemText(chat, event);
      node.appendChild(line);
      var note = event.data && event.data.note;
      if (note) node.appendChild(el("span", "cx-sys-note", t("console.ev.note", { note: note })));
      if (event.at) node.appendChild(el("time", "cx-time", timeOf(event.at)));
      return node;
    }
    var own = ownPending || (author.id && author.id === me.id);
    var side = author.role === "visitor" ? "visitor" : kind === "bot" ? "bot" : "staff";
    node.classList.add("cx-ev-msg", "cx-from-" + side);
    if (kind === "note") node.classList.add("cx-ev-note");
    if (own) node.classList.add("cx-own");
    var meta = el("div", "cx-meta");
    if (kind === "note") {
      var handover = event.data && event.data.handover;  // the note a transfer carried
      meta.appendChild(el("span", "cx-note-label", t(handover ? "console.note.handover" : "console.note.label")));
    }
    var authorNode = el("span", "cx-author", own ? t("console.you")
      : author.role === "visitor" ? visitorName(chat)
      : (author.name || t("console.visitor")));
    authorNode.setAttribute("dir", "auto");
    meta.appendChild(authorNode);
    if (kind === "bot") meta.appendChild(el("span", "cx-bot-tag", t("console.bot.tag")));
    var time = el("time", "cx-time", event.at ? timeOf(event.at) : "");
    if (event.at) time.setAttribute("datetime", event.at);
    meta.appendChild(time);
    node.appendChild(meta);
    var bubble = el("div", "cx-bubble");
    var text = el("div", "cx-text");
    text.setAttribute("data-c", "text");
    text.setAttribute("dir", "auto");
    text.textContent = event.text || "";
    bubble.appendChild(text);
    if (kind === "bot") addBotExtras(chat, bubble, event.data || {});
    node.appendChild(bubble);
    if (own && (kind === "message" || kind === "note")) {
      var state = el("div", "cx-state");
      node.appendChild(state);
    }
    return node;
  }

  function addBotExtras(chat, bubble, d) {
    var articles = d.articles || [];
    articles.forEach(function (article) {
      if (article && article.id && article.title && chat.articleTitles) chat.articleTitles[article.id] = String(article.title);
    });
    if (articles.length) {
      var box = el("div", "cx-bot-articles");
      box.appendChild(el("span", "cx-bot-articles-title", t("console.bot.articles")));
      var list = el("ul");
      articles.forEach(function (article) {
        var li = el("li", null, article.title || article.id);
        li.setAttribute("dir", "auto");
        list.appendChild(li);
      });
      box.appendChild(list);
      bubble.appendChild(box);
    }
    if (d.canned && d.canned.text) bubble.appendChild(el("div", "cx-bot-canned", d.canned.text));
    if (d.menu && d.menu.length) {
      var menu = el("div", "cx-bot-menu");
      d.menu.forEach(function (item) { menu.appendChild(el("span", "cx-chip", item.label)); });
      bubble.appendChild(menu);
    }
  }

  function setState(chat, node, state) {
    node.setAttribute("data-state", state);
    var box = $(".cx-state", node);
    if (!box) return;
    box.textContent = "";
    if (state === "failed") {
      box.appendChild(el("span", "cx-state-text", t("console.failed")));
      var pending = chat.pending[node.getAttribute("data-client-id")];
      if (!chat.ended && !(pending && pending.refused)) {
        var retry = el("button", "cx-link-btn", t("console.retry"));
        retry.type = "button";
        retry.setAttribute("data-c", "retry");
        retry.addEventListener("click", function () { resend(chat, node); });
        box.appendChild(retry);
      } else {  // it can never go: the text can be copied
        var copy = el("button", "cx-link-btn", t("console.copy"));
        copy.type = "button";
        copy.setAttribute("data-c", "copy");
        copy.addEventListener("click", function () { copyText(node); });
        box.appendChild(copy);
      }
      var drop = el("button", "cx-link-btn", t("console.discard"));
      drop.type = "button";
      drop.addEventListener("click", function () { discard(chat, node); });
      box.appendChild(drop);
    } else {
      var note = node.getAttribute("data-kind") === "note";
      var stick = chat.synced && chat.log && !chat.pane.hidden && node === chat.log.lastElementChild && nearBottom(chat);
      box.appendChild(el("span", "cx-state-text cx-state-" + state, t(note && state === "sent" ? "console.saved"
        : "console." + state)));
      if (stick) scrollDown(chat, true);  // the line under the last message is not left under the composer
    }
  }

  function nearBottom(chat) {
    var body = chat.log.parentNode;
    return body.scrollHeight - body.scrollTop - body.clientHeight < 120;
  }

  function scrollDown(chat, force) {
    var body = chat.log.parentNode;
    if (force || nearBottom(chat)) body.scrollTop = body.scrollHeight;
  }

  function firstPending(chat) {
    // Only pending lines (all in chat.pending) are ever sending or failed: none pending, nothing to look for.
    for (var key in chat.pending) {
      if (Object.prototype.hasOwnProperty.call(chat.pending, key)) {
        return $(".cx-ev[data-state=sending], .cx-ev[data-state=failed]", chat.log);
      }
    }
    return null;
  }

  // A replay (before its synced) only appends: no layout is read, the chat's item, the counts, its read mark
  // and the scroll are done once, at the next frame and at synced (flushReplay), not once per event.
  var replayFrame = null;
  function replayLater(chat) {
    chat.replayDirty = true;
    if (replayFrame !== null) return;
    replayFrame = window.requestAnimationFrame(function () {
      replayFrame = null;
      Object.keys(chats).forEach(function (id) {
        if (chats[id].replayDirty) flushReplay(chats[id], false);
      });
    });
  }

  function flushReplay(chat, done) {
    if (chat.replayDirty) {
      chat.replayDirty = false;
      if (chat.seenDirty) {
        chat.seenDirty = false;
        store("seen." + chat.id, String(chat.seenSeq));
      }
      if (active === chat.id && !document.hidden) markViewed(chat);
      renderChatItem(chat);
      renderCounts();
    }
    if (done) {
      if (chat.replayStick !== false && active === chat.id && !chat.pane.hidden) scrollDown(chat, true);
      chat.replayStick = undefined;
      renderChatItem(chat);
    }
  }

  // markViewed's state alone, during a replay: stored and shown by flushReplay.
  function viewed(chat) {
    if (chat.synced) return markViewed(chat);
    if (document.hidden || active !== chat.id || viewing) return undefined;
    chat.unread = 0;
    if (chat.lastSeq > chat.seenSeq) {
      chat.seenSeq = chat.lastSeq;
      chat.seenDirty = true;
    }
    return replayLater(chat);
  }

  function addEvent(chat, event, live) {
    var replay = !chat.synced;
    var stick = !replay && nearBottom(chat);
    var node = null;
    var author = event.author || {};
    if (event.client_id && author.id === me.id && chat.pending[event.client_id]) {
      // Our own message or note came back: the pending line becomes it.
      var pending = chat.pending[event.client_id];
      node = pending.node;
      node.setAttribute("data-seq", String(event.seq));
      var time = $(".cx-time", node);
      time.textContent = timeOf(event.at);
      time.setAttribute("datetime", event.at);
      setState(chat, node, event.kind === "message" && event.seq <= chat.readSeq ? "seen" : "sent");
      delete chat.pending[event.client_id];
      settle(chat, pending);
      node.remove();
    } else {
      node = eventNode(chat, event, false);
      if (event.kind === "message" && author.id === me.id) {
        setState(chat, node, event.seq <= chat.readSeq ? "seen" : "sent");
      }
    }
    var before = firstPending(chat);
    chat.log.insertBefore(node, before);
    noteActivity(chat, event, live);
    if (!replay && (stick || author.id === me.id)) scrollDown(chat, true);
  }

  function noteActivity(chat, event, live) {
    var role = event.author && event.author.role;
    if (event.kind === "message" || event.kind === "note" || event.kind === "bot") {
      chat.lastAt = event.at;
      if (event.kind !== "note" && (event.kind !== "bot" || !chat.lastText)) {
        var mine = role !== "visitor" && event.author.id === me.id;
        chat.lastText = mine ? t("console.last.you", { text: event.text || "" }) : (event.text || "");
      }
    }
    if (event.kind === "message" && role === "visitor") {
      if (chat.answered) chat.lastVisitorAt = event.at;
      chat.answered = false;
      setTyping(chat, false);
      if (event.seq > chat.seenSeq) {
        if (active === chat.id && !document.hidden && !viewing) {
          viewed(chat);
        } else {
          chat.unread += 1;
          if (live && chat.synced) {
            tone();
            announce(t("console.announce.message", { name: visitorName(chat) }));
            notify(chat, t("console.announce.message", { name: visitorName(chat) }), event.text || "", false);
          }
        }
      }
    } else if (event.kind === "message" && role !== "visitor") {
      chat.answered = true;
      chat.lastVisitorAt = null;
      if (event.seq > chat.seenSeq) {  // a reply was written after reading what came before
        chat.seenSeq = event.seq;
        chat.unread = 0;
        if (chat.synced) store("seen." + chat.id, String(chat.seenSeq));
        else chat.seenDirty = true;
      }
    } else if (event.kind === "closed") {
      chat.info.status = "closed";
      if (chat.ended && chat.endReason !== "closed") {
        chat.endReason = "closed";
        renderEnded(chat);
      }
    }
    if (!chat.synced) {
      if (active === chat.id && !document.hidden) viewed(chat);
      replayLater(chat);
      return;
    }
    if (active === chat.id && !document.hidden) markViewed(chat);
    renderChatItem(chat);
    renderCounts();
  }

  function markSeen(chat, seq) {
    if (seq <= chat.readSeq) return;
    chat.readSeq = seq;
    $$(".cx-own[data-kind=message][data-state=sent]", chat.log).forEach(function (node) {
      if (Number(node.getAttribute("data-seq")) <= seq) setState(chat, node, "seen");
    });
  }

  function setTyping(chat, on, name) {
    window.clearTimeout(chat.typingTimer);
    var box = $("[data-c=typing]", chat.pane);
    var was = !!chat.typing;
    chat.typing = !!on && !chat.ended;
    if (chat.typing) {
      var stick = nearBottom(chat);
      $(".cx-typing-text", box).textContent = t("console.typing", { name: name && name !== DEFAULT_VISITOR ? name : visitorName(chat) });
      box.hidden = false;
      chat.typingTimer = window.setTimeout(function () { setTyping(chat, false); }, 8000);
      if (stick) scrollDown(chat, true);
    } else {
      box.hidden = true;
    }
    if (was !== chat.typing && chat.item) renderChatItem(chat);
  }

  // --- sending ---------------------------------------------------------------------------------------------
  //
  // Each chat sends its messages and notes one at a time, in the order they were written (chat.queue): the next
  // goes once the one before is acknowledged (its ack, or its own event coming back). Without an answer within
  // ACK_TIMEOUT it goes again with the same client id (stored once however often it goes); if still nothing, the
  // socket is reopened (the replay shows what was stored) and it goes once more; then it shows failed. A refusal
  // (not_found, bad_frame...) is final: failed at once, out of the outbox, offered to copy.

  function saveOutboxEntry(chat, pending) {
    store("out." + pending.clientId, { conversation: chat.id, client_id: pending.clientId, text: pending.text,
      kind: pending.kind, at: pending.at });
  }

  function dropOutbox(clientId) { store("out." + clientId, null); }

  function restoreOutbox(chat) {
    loadOutbox().forEach(function (entry) {
      if (entry.conversation === chat.id && !chat.pending[entry.client_id]) {
        addPending(chat, entry.client_id, entry.text, entry.kind === "note" ? "note" : "message", entry.at);
      }
    });
  }

  function addPending(chat, clientId, text, kind, at) {
    at = at || new Date().toISOString();
    var node = eventNode(chat, { kind: kind, author: { role: me.role, name: me.name, id: me.id }, text: text,
      at: at }, true);
    node.setAttribute("data-client-id", clientId);
    var pending = { clientId: clientId, text: text, kind: kind, node: node, tries: 0, at: at, timer: null,
      inFlight: false, refused: false };
    chat.pending[clientId] = pending;
    chat.queue.push(pending);
    chat.log.appendChild(node);
    setState(chat, node, "sending");
    return pending;
  }

  function pump(chat) {
    if (!chat.synced || chat.ended || Date.now() < pausedUntil) return;
    var head = chat.queue[0];
    if (head && !head.inFlight) transmit(chat, head);
  }

  function transmit(chat, pending) {
    window.clearTimeout(pending.timer);
    pending.inFlight = false;
    if (Date.now() < pausedUntil) return false;  // resume() sends it
    if (!send({ type: pending.kind === "note" ? "note" : "message", conversation: chat.id,
      client_id: pending.clientId, text: pending.text })) return false;  // after the next synced
    pending.inFlight = true;
    pending.tries += 1;
    pending.timer = window.setTimeout(function () { ackTimeout(chat, pending); }, ACK_TIMEOUT);
    return true;
  }

  function ackTimeout(chat, pending) {
    if (chat.pending[pending.clientId] !== pending || !pending.inFlight) return;
    pending.inFlight = false;
    if (pending.tries >= 4) {
      giveUp(chat, "no_answer");
    } else if (pending.tries % 2 === 1) {
      transmit(chat, pending);
    } else {
      reopen();
    }
  }

  // The first in line does not go: neither do the ones after it (they would arrive before it). All show failed,
  // with Retry.
  function giveUp(chat, code) {
    chat.queue.forEach(function (pending) {
      window.clearTimeout(pending.timer);
      pending.inFlight = false;
      setState(chat, pending.node, "failed");
      pending.node.title = errorText(code);
    });
    chat.queue = [];
  }

  // Acknowledged (or its event came back): out of the line, the next one goes.
  function settle(chat, pending) {
    window.clearTimeout(pending.timer);
    pending.inFlight = false;
    var index = chat.queue.indexOf(pending);
    if (index >= 0) chat.queue.splice(index, 1);
    dropOutbox(pending.clientId);
    pump(chat);
  }

  function pause(ms) {
    pausedUntil = Date.now() + ms;
    Object.keys(chats).forEach(function (id) {
      chats[id].queue.forEach(function (pending) { window.clearTimeout(pending.timer); });
    });
    window.clearTimeout(pauseTimer);
    pauseTimer = window.setTimeout(resume, ms);
  }

  // After a rate_limited: what was in flight goes again (same client id), chats not synced yet are synced again.
  function resume() {
    pausedUntil = 0;
    if (!welcomed) return;
    renderQueue();  // a dropped pick: its button comes back
    Object.keys(chats).forEach(function (id) {
      var chat = chats[id];
      if (chat.ended) return;
      if (!chat.synced) {
        resync(chat);
        return;
      }
      var head = chat.queue[0];
      if (!head) return;
      if (head.inFlight) head.tries = Math.max(0, head.tries - 1);  // a dropped frame is not a lost answer
      transmit(chat, head);
    });
  }

  function failPending(chat, pending, frame) {
    window.clearTimeout(pending.timer);
    pending.inFlight = false;
    if (frame.code === "rate_limited") {
      pending.tries = Math.max(0, pending.tries - 1);
      pause(1500);
      return;
    }
    var index = chat.queue.indexOf(pending);
    if (index >= 0) chat.queue.splice(index, 1);
    if (frame.code !== "error") {  // refused for good: it would be refused again after a reload
      pending.refused = true;
      dropOutbox(pending.clientId);
    }
    setState(chat, pending.node, "failed");
    pending.node.title = errorText(frame.code);
    pump(chat);
  }

  function resend(chat, node) {
    var clientId = node.getAttribute("data-client-id");
    var pending = chat.pending[clientId];
    if (!pending || chat.ended || pending.refused) return;
    pending.tries = 0;
    setState(chat, node, "sending");
    if (chat.queue.indexOf(pending) < 0) chat.queue.push(pending);
    saveOutboxEntry(chat, pending);
    pump(chat);
  }

  function discard(chat, node) {
    var clientId = node.getAttribute("data-client-id");
    var pending = chat.pending[clientId];
    if (pending) {
      window.clearTimeout(pending.timer);
      var index = chat.queue.indexOf(pending);
      if (index >= 0) chat.queue.splice(index, 1);
    }
    delete chat.pending[clientId];
    dropOutbox(clientId);
    node.remove();
    pump(chat);
  }

  function copyText(node) {
    var text = $("[data-c=text]", node).textContent;
    var done = function () { showBanner(t("console.copied"), "notice"); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(node); });
    } else {
      selectText(node);
    }
  }

  function selectText(node) {  // no clipboard: the text is selected, for Ctrl+C
    var range = document.createRange();
    range.selectNodeContents($("[data-c=text]", node));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function submit(chat) {
    var text = clean(chat.composer.value);
    if (!text.trim() || chat.ended) return;
    var length = codePoints(text);
    if (length > MAX_TEXT) {  // nothing is cut without the agent knowing
      showBanner(t("console.error.too_long", { n: length, max: MAX_TEXT }), "error");
      return;
    }
    var left = leftPlaceholder(chat);
    if (left && chat.unfilledWarned !== chat.composer.value) {  // asked once: the same text again goes as written
      chat.unfilledWarned = chat.composer.value;
      selectPlaceholder(chat);
      showBanner(t("console.canned.replace", { name: left.name }), "notice");
      return;
    }
    chat.unfilled = null;
    chat.unfilledWarned = null;
    var kind = chat.mode === "note" ? "note" : "message";
    var pending = addPending(chat, newClientId(), text, kind);
    saveOutboxEntry(chat, pending);
    pump(chat);
    chat.composer.value = "";
    autosize(chat);
    saveDraft(chat);
    stopMyTyping(chat);
    closeCanned(chat);
    scrollDown(chat, true);
    if (kind === "message") {
      chat.answered = true;
      chat.lastVisitorAt = null;
      renderChatItem(chat);
    }
  }

  function autosize(chat) {
    var box = chat.composer;
    box.style.height = "auto";
    box.style.height = Math.min(180, Math.max(44, box.scrollHeight)) + "px";
  }

  // The draft is kept with its mode (a note stays a note after a reload). Only what this tab changed is written:
  // a composer this tab did not touch never overwrites what another tab wrote.
  function saveDraft(chat) {
    if (chat.composer.value === chat.draft && chat.mode === chat.draftMode) return;
    chat.draft = chat.composer.value;
    chat.draftMode = chat.mode;
    store("draft." + chat.id, chat.draft ? { text: chat.draft, mode: chat.mode } : null);
  }

  // "typing" goes when the agent starts, again every 4 s while they go on (the widget forgets it after 8 s), and
  // "stopped" after 5 s without a key.
  function myTyping(chat) {
    if (chat.mode !== "reply" || chat.ended) return;
    window.clearTimeout(chat.myTypingTimer);
    if (chat.composer.value.trim()) {
      if (!chat.myTyping || Date.now() - chat.myTypingAt >= 4000) {
        if (send({ type: "typing", conversation: chat.id, active: true })) {
          chat.myTyping = true;
          chat.myTypingAt = Date.now();
        }
      }
      chat.myTypingTimer = window.setTimeout(function () { stopMyTyping(chat); }, 5000);
    } else {
      stopMyTyping(chat);
    }
  }

  function stopMyTyping(chat) {
    window.clearTimeout(chat.myTypingTimer);
    if (chat.myTyping) {
      chat.myTyping = false;
      if (!chat.ended) send({ type: "typing", conversation: chat.id, active: false });
    }
  }

  function setMode(chat, mode) {
    chat.mode = mode === "note" ? "note" : "reply";
    mode = chat.mode;
    var form = $(".cx-compose", chat.pane);
    form.setAttribute("data-mode", mode);
    chat.composer.setAttribute("data-mode", mode);
    chat.composer.setAttribute("aria-label", t(mode === "note" ? "console.composer.note" : "console.composer.reply"));
    chat.composer.placeholder = t(mode === "note" ? "console.composer.note_placeholder" : "console.composer.placeholder");
    $("[data-c=note-mode]", chat.pane).setAttribute("aria-pressed", mode === "note" ? "true" : "false");
    $(".cx-mode-reply", chat.pane).setAttribute("aria-pressed", mode === "note" ? "false" : "true");
    $("[data-c=send]", chat.pane).textContent = t(mode === "note" ? "console.send.note" : "console.send");
    if (mode === "note") stopMyTyping(chat);
  }

  function wirePane(chat) {
    var pane = chat.pane;
    var form = $(".cx-compose", pane);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(chat);
      chat.composer.focus();
    });
    chat.composer.addEventListener("keydown", function (event) { composerKey(chat, event); });
    chat.composer.addEventListener("input", function () {
      chat.typedAt = Date.now();
      autosize(chat);
      saveDraft(chat);
      myTyping(chat);
      cannedInput(chat);
    });
    chat.composer.addEventListener("blur", function () { stopMyTyping(chat); });
    $("[data-c=note-mode]", pane).addEventListener("click", function () {
      setMode(chat, chat.mode === "note" ? "reply" : "note");
      saveDraft(chat);
      chat.composer.focus();
    });
    $(".cx-mode-reply", pane).addEventListener("click", function () {
      setMode(chat, "reply");
      saveDraft(chat);
      chat.composer.focus();
    });
    $("[data-c=kb-open]", pane).addEventListener("click", function () { toggleKb(chat); });
    $(".cx-canned-btn", pane).addEventListener("click", function () {
      if (!/^\//.test(chat.composer.value)) chat.composer.value = "/" + chat.composer.value;
      chat.composer.focus();
      chat.composer.setSelectionRange(1, 1);
      cannedInput(chat);
    });
    $("[data-c=transfer]", pane).addEventListener("click", function () { openTransfer(chat); });
    $("[data-c=close]", pane).addEventListener("click", function () { openClose(chat); });
    $("[data-c=convert]", pane).addEventListener("click", function () { openConvert(chat); });
    $("[data-c=dismiss]", pane).addEventListener("click", function () { dismiss(chat); });
  }

  function composerKey(chat, event) {
    if (chat.ended) return;
    var list = chat.canned;
    if (list && !list.node.hidden) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        moveCanned(chat, event.key === "ArrowDown" ? 1 : -1);
        return;
      }
      if (event.key === "Enter" && !event.shiftKey) {  // while the list is open Enter picks, never sends
        event.preventDefault();
        if (list.items.length) pickCanned(chat, list.items[list.index]);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeCanned(chat);
        return;
      }
    }
    if (event.key === "Tab" && !event.shiftKey) {
      var match = /^\/([a-z0-9][a-z0-9_-]{0,39})$/.exec(chat.composer.value.trim());
      var known = list && list.items.length && list.itemsQuery === (match && match[1]);
      var exact = known && list.items.some(function (item) { return item.shortcut === match[1]; });
      if (match && known && !exact) {
        // Not a whole shortcut: the highlighted one of the list.
        event.preventDefault();
        pickCanned(chat, list.items[list.index]);
        return;
      }
      if (match) {
        event.preventDefault();
        expandCanned(chat, match[1]);
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit(chat);
    }
  }

  // --- canned responses ------------------------------------------------------------------------------------

  var cannedSeq = 0;

  function cannedInput(chat) {
    var value = chat.composer.value;
    var match = /^\/(\S*)$/.exec(value);
    if (!match) {
      closeCanned(chat);
      return;
    }
    var query = match[1].toLowerCase();
    if (!chat.canned) {
      var node = el("div", "cx-canned");
      node.setAttribute("data-c", "canned-list");
      node.setAttribute("role", "listbox");
      node.setAttribute("aria-label", t("console.canned.title"));
      node.id = "cx-canned-" + chat.id;
      $(".cx-compose", chat.pane).insertBefore(node, $(".cx-compose-box", chat.pane));
      chat.canned = { node: node, items: [], index: 0, query: null };
      chat.composer.setAttribute("aria-controls", node.id);
      chat.composer.setAttribute("aria-expanded", "true");
    }
    chat.canned.node.hidden = false;
    if (chat.canned.query === query) return;
    chat.canned.query = query;
    var ticket = ++cannedSeq;
    api("GET", "/api/canned?q=" + encodeURIComponent(query)).then(function (body) {
      if (ticket !== cannedSeq || !chat.canned) return;
      var found = (body.canned || []).filter(function (item) {
        return !query || item.shortcut.indexOf(query) === 0 || item.title.toLowerCase().indexOf(query) >= 0;
      });
      found.sort(function (a, b) {  // the exact shortcut, then those it starts, then the rest
        return (b.shortcut === query) - (a.shortcut === query) ||
          (b.shortcut.indexOf(query) === 0) - (a.shortcut.indexOf(query) === 0) || a.shortcut.localeCompare(b.shortcut);
      });
      chat.canned.itemsQuery = query;
      renderCanned(chat, found.slice(0, 12));
    }).catch(function (error) {
      if (chat.canned) renderCanned(chat, [], errorText(error.code));
    });
  }

  function renderCanned(chat, items, problem) {
    var list = chat.canned;
    list.items = items;
    list.index = 0;
    list.node.textContent = "";
    if (!items.length) {
      list.node.appendChild(el("div", "cx-canned-empty", problem || t("console.canned.none")));
      var manage = el("a", "cx-canned-manage", t("console.canned.manage"));
      manage.href = "/canned";
      manage.target = "_blank";
      manage.rel = "noopener";
      list.node.appendChild(manage);
      return;
    }
    items.forEach(function (item, index) {
      var row = el("div", "cx-canned-item");
      row.setAttribute("data-c", "canned-item");
      row.setAttribute("data-shortcut", item.shortcut);
      row.setAttribute("role", "option");
      row.id = "cx-canned-" + chat.id + "-" + index;
      row.appendChild(el("span", "cx-canned-key", "/" + item.shortcut));
      var main = el("span", "cx-canned-main");
      main.appendChild(el("span", "cx-canned-title", item.title));
      main.appendChild(el("span", "cx-canned-body", item.body.slice(0, 140)));
      row.appendChild(main);
      if (item.shared) row.appendChild(el("span", "cx-canned-shared", t("console.canned.shared")));
      row.addEventListener("mousedown", function (event) { event.preventDefault(); });
      row.addEventListener("click", function () { pickCanned(chat, item); });
      list.node.appendChild(row);
    });
    moveCanned(chat, 0);
  }

  function moveCanned(chat, step) {
    var list = chat.canned;
    if (!list.items.length) return;
    list.index = (list.index + step + list.items.length) % list.items.length;
    $$("[data-c=canned-item]", list.node).forEach(function (row, index) {
      row.setAttribute("aria-selected", index === list.index ? "true" : "false");
      if (index === list.index) {
        chat.composer.setAttribute("aria-activedescendant", row.id);
        row.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function pickCanned(chat, item) {
    if (!item) return;
    expandCanned(chat, item.shortcut);
  }

  function expandCanned(chat, shortcut) {
    closeCanned(chat);
    var typed = chat.composer.value;
    chat.composer.setAttribute("aria-busy", "true");
    api("POST", "/api/canned/" + encodeURIComponent(shortcut) + "/expand", { conversation: chat.id }).then(function (body) {
      chat.composer.removeAttribute("aria-busy");
      if (chat.composer.value !== typed) return;  // the agent went on typing: do not overwrite
      chat.composer.value = body.text;
      autosize(chat);
      chat.composer.focus();
      chat.composer.setSelectionRange(body.text.length, body.text.length);
      saveDraft(chat);
      myTyping(chat);
      // Placeholders the server could not fill stay in the text: the first one is selected, to be typed over,
      // and Enter does not send while one is still there (unless pressed again on the same text).
      chat.unfilled = (body.unfilled || []).filter(function (name) { return /^\w{1,40}$/.test(name); });
      chat.unfilledWarned = null;
      if (chat.unfilled.length) {
        selectPlaceholder(chat);
        showBanner(t("console.canned.unfilled", { names: chat.unfilled.map(function (name) {
          return "{" + name + "}"; }).join(", ") }), "notice");
      }
    }).catch(function (error) {
      chat.composer.removeAttribute("aria-busy");
      showBanner(error.code === "not_found" ? t("console.canned.unknown", { shortcut: shortcut })
        : errorText(error.code), "error");
    });
  }

  // The first placeholder of the last expansion still in the composer: {name, start, end}, or null.
  function leftPlaceholder(chat) {
    var names = chat.unfilled || [];
    var value = chat.composer.value;
    var found = null;
    names.forEach(function (name) {
      var token = "{" + name + "}";
      var at = value.indexOf(token);
      if (at >= 0 && (!found || at < found.start)) found = { name: token, start: at, end: at + token.length };
    });
    return found;
  }

  function selectPlaceholder(chat) {
    var left = leftPlaceholder(chat);
    if (!left) return null;
    chat.composer.focus();
    chat.composer.setSelectionRange(left.start, left.end);
    return left;
  }

  function closeCanned(chat) {
    if (!chat.canned) return;
    chat.canned.node.remove();
    chat.canned = null;
    cannedSeq++;
    chat.composer.removeAttribute("aria-controls");
    chat.composer.removeAttribute("aria-activedescendant");
    chat.composer.setAttribute("aria-expanded", "false");
  }

  // --- knowledge base --------------------------------------------------------------------------------------

  var kbSeq = 0;

  function toggleKb(chat) {
    if (chat.kb) closeKb(chat);
    else openKb(chat);
  }

  function openKb(chat) {
    if (chat.ended) return;
    if (chat.kb) {
      chat.kb.search.focus();
      return;
    }
    var panel = el("section", "cx-kb");
    panel.setAttribute("data-c", "kb-panel");
    panel.setAttribute("aria-label", t("console.kb.title"));
    var head = el("div", "cx-kb-head");
    head.appendChild(el("h3", null, t("console.kb.title")));
    var close = el("button", "cx-icon-btn cx-i-x");
    close.type = "button";
    close.setAttribute("aria-label", t("console.dialog.close"));
    close.addEventListener("click", function () { closeKb(chat); chat.composer.focus(); });
    head.appendChild(close);
    panel.appendChild(head);
    var label = el("label", "cx-kb-search");
    label.appendChild(el("span", "visually-hidden", t("console.kb.search")));
    var search = el("input");
    search.type = "search";
    search.setAttribute("data-c", "kb-search");
    search.placeholder = t("console.kb.search");
    search.autocomplete = "off";
    label.appendChild(search);
    panel.appendChild(label);
    var results = el("ul", "cx-kb-results");
    results.setAttribute("aria-live", "polite");
    panel.appendChild(results);
    $(".cx-pane-row", chat.pane).appendChild(panel);
    chat.pane.classList.add("cx-with-kb");
    ui.app.classList.add("cx-kb-open");
    $("[data-c=kb-open]", chat.pane).setAttribute("aria-expanded", "true");
    chat.kb = { panel: panel, search: search, results: results, timer: null };
    search.addEventListener("input", function () {
      window.clearTimeout(chat.kb.timer);
      chat.kb.timer = window.setTimeout(function () { kbSearch(chat); }, 180);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        closeKb(chat);
        chat.composer.focus();
      }
    });
    kbSearch(chat);
    search.focus();
  }

  function closeKb(chat) {
    if (!chat.kb) return;
    chat.kb.panel.remove();
    chat.kb = null;
    chat.pane.classList.remove("cx-with-kb");
    ui.app.classList.remove("cx-kb-open");
    $("[data-c=kb-open]", chat.pane).setAttribute("aria-expanded", "false");
  }

  function kbSearch(chat) {
    var kb = chat.kb;
    if (!kb) return;
    var ticket = ++kbSeq;
    api("GET", "/api/kb/articles?limit=8&q=" + encodeURIComponent(kb.search.value.trim())).then(function (body) {
      if (ticket !== kbSeq || chat.kb !== kb) return;
      kb.results.textContent = "";
      var articles = body.articles || [];
      if (!articles.length) kb.results.appendChild(el("li", "cx-kb-empty", t("console.kb.none")));
      articles.forEach(function (article) {
        var item = el("li", "cx-kb-item");
        item.setAttribute("data-c", "kb-result");
        item.setAttribute("data-article", article.id);
        item.appendChild(el("span", "cx-kb-title", article.title));
        item.appendChild(el("span", "cx-kb-snippet", plainMarkdown(article.body || "").slice(0, 160)));
        var actions = el("div", "cx-kb-actions");
        var link = el("button", "btn btn-ghost btn-sm", t("console.kb.insert_link"));
        link.type = "button";
        link.setAttribute("data-c", "kb-insert-link");
        link.addEventListener("click", function () {
          insertText(chat, data.base + "/help/" + encodeURIComponent(article.id));
        });
        var text = el("button", "btn btn-ghost btn-sm", t("console.kb.insert_text"));
        text.type = "button";
        text.setAttribute("data-c", "kb-insert-text");
        text.addEventListener("click", function () { insertArticleText(chat, article); });
        var open = el("a", "cx-kb-view", t("console.kb.view"));
        open.href = "/help/" + encodeURIComponent(article.id);
        open.target = "_blank";
        open.rel = "noopener noreferrer";
        actions.appendChild(link);
        actions.appendChild(text);
        actions.appendChild(open);
        item.appendChild(actions);
        kb.results.appendChild(item);
      });
    }).catch(function (error) {
      if (chat.kb !== kb) return;
      kb.results.textContent = "";
      kb.results.appendChild(el("li", "cx-kb-empty", errorText(error.code)));
    });
  }

  function plainMarkdown(text) {
    return text.replace(/!\[[^\]]*\]\([^)]*\)/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/[*_`#>]+/g, "").replace(/\s+/g, " ").trim();
  }

  function htmlToText(html) {
    // DOMParser documents are inert: no script runs and no image loads.
    var doc = new DOMParser().parseFromString(html, "text/html");
    var out = [];
    (function walk(node, prefix) {
      Array.prototype.forEach.call(node.childNodes, function (child, index) {
        if (child.nodeType === 3) {
          out.push(child.nodeValue.replace(/\s+/g, " "));
          return;
        }
        if (child.nodeType !== 1) return;
        var tag = child.tagName;
        if (tag === "BR") { out.push("\n"); return; }
        if (tag === "LI") {
          var ordered = node.tagName === "OL";
          out.push("\n" + (ordered ? (index + 1) + ". " : "- "));
          walk(child, prefix);
          return;
        }
        if (tag === "A") {
          walk(child, prefix);
          var href = httpUrl(child.getAttribute("href"));
          if (href && child.textContent.trim() !== href) out.push(" (" + href + ")");
          return;
        }
        var block = /^(P|DIV|H[1-6]|UL|OL|PRE|BLOCKQUOTE|TABLE|TR)$/.test(tag);
        if (block) out.push("\n\n");
        walk(child, prefix);
        if (block) out.push("\n\n");
      });
    })(doc.body, "");
    return out.join("").replace(/[ \t]+\n/g, "\n").replace(/\n[ \t]+/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
  }

  function insertArticleText(chat, article) {
    api("GET", "/api/kb/articles/" + encodeURIComponent(article.id)).then(function (body) {
      var html = body.article && body.article.html;
      insertText(chat, html ? htmlToText(html) : plainMarkdown(article.body || ""));
    }).catch(function (error) { showBanner(errorText(error.code), "error"); });
  }

  function insertText(chat, text) {
    if (chat.ended) return;
    var box = chat.composer;
    var start = box.selectionStart;
    var end = box.selectionEnd;
    var value = box.value;
    if (document.activeElement !== box && start === end && start === 0 && value) start = end = value.length;
    var before = value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    var next = cutText(before + spacer + text + value.slice(end), MAX_TEXT);
    box.value = next;
    autosize(chat);
    var caret = Math.min(next.length, before.length + spacer.length + text.length);
    box.focus();
    box.setSelectionRange(caret, caret);
    saveDraft(chat);
    myTyping(chat);
  }

  // --- dialogs ---------------------------------------------------------------------------------------------

  var dialog = null;  // {node, chat, back}

  function openDialog(chat, hook, title, build) {
    closeDialog();
    var overlay = el("div", "cx-overlay");
    var box = el("div", "cx-dialog");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("data-c", hook);
    var titleId = "cx-dialog-title";
    box.setAttribute("aria-labelledby", titleId);
    var head = el("div", "cx-dialog-head");
    var h = el("h2", null, title);
    h.id = titleId;
    head.appendChild(h);
    var x = el("button", "cx-icon-btn cx-i-x");
    x.type = "button";
    x.setAttribute("aria-label", t("console.dialog.close"));
    x.addEventListener("click", closeDialog);
    head.appendChild(x);
    box.appendChild(head);
    var form = el("form", "cx-dialog-body");
    form.noValidate = true;
    box.appendChild(form);
    overlay.appendChild(box);
    overlay.addEventListener("mousedown", function (event) { if (event.target === overlay) closeDialog(); });
    if (chat) chat.pane.appendChild(overlay);
    else {
      overlay.classList.add("cx-overlay-page");
      document.body.appendChild(overlay);
    }
    dialog = { node: overlay, chat: chat, back: document.activeElement };
    build(form, box);
    var first = $("select, textarea, input", form) || $("button[type=submit]", form);
    (first || x).focus();
    return form;
  }

  function closeDialog() {
    if (!dialog) return;
    var back = dialog.back;
    dialog.node.remove();
    dialog = null;
    if (back && document.body.contains(back) && !back.disabled) back.focus();
  }

  function actions(form, confirmHook, confirmText, danger) {
    var row = el("div", "cx-dialog-actions");
    var cancel = el("button", "btn btn-ghost", t("console.cancel"));
    cancel.type = "button";
    cancel.addEventListener("click", closeDialog);
    var ok = el("button", "btn " + (danger ? "btn-danger-solid" : "btn-primary"), confirmText);
    ok.type = "submit";
    ok.setAttribute("data-c", confirmHook);
    row.appendChild(cancel);
    row.appendChild(ok);
    form.appendChild(row);
    return ok;
  }

  function field(form, labelText, control, hint) {
    var label = el("label", "field");
    label.appendChild(el("span", null, labelText));
    label.appendChild(control);
    if (hint) label.appendChild(el("span", "hint", hint));
    form.appendChild(label);
    return control;
  }

  function openTransfer(chat) {
    if (chat.ended) return;
    openDialog(chat, "transfer-dialog", t("console.transfer.title", { name: visitorName(chat) }), function (form) {
      var select = el("select");
      select.setAttribute("data-c", "transfer-target");
      var queueOption = el("option", null, t("console.transfer.queue"));
      queueOption.value = "";
      select.appendChild(queueOption);
      field(form, t("console.transfer.to"), select);
      var status = el("p", "hint cx-transfer-status", t("console.transfer.loading"));
      form.appendChild(status);
      var note = el("textarea");
      note.setAttribute("data-c", "transfer-note");
      note.maxLength = 1000;
      note.rows = 3;
      field(form, t("console.transfer.note"), note, t("console.transfer.note_hint"));
      var problem = el("p", "cx-form-error");
      problem.setAttribute("data-c", "transfer-error");
      problem.setAttribute("role", "alert");
      form.appendChild(problem);
      var ok = actions(form, "transfer-confirm", t("console.transfer.confirm"), false);
      api("GET", "/api/console/agents").then(function (body) {
        var free = (body.agents || []).filter(function (agent) {
          return agent.id !== me.id && agent.status === "online" && agent.load < agent.capacity;
        });
        free.sort(function (a, b) { return a.load - b.load || a.name.localeCompare(b.name); });
        free.forEach(function (agent) {
          var option = el("option", null, t("console.transfer.agent", { name: agent.name, load: agent.load,
            capacity: agent.capacity }));
          option.value = agent.id;
          select.appendChild(option);
        });
        status.textContent = free.length ? t("console.transfer.count", { n: free.length }) : t("console.transfer.none");
      }).catch(function () {
        status.textContent = t("console.transfer.failed");
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var frame = { type: "transfer", conversation: chat.id };
        if (select.value) frame.to_agent = select.value;
        var noteText = clean(note.value).trim();
        if (noteText) frame.note = noteText.slice(0, 1000);
        if (chat.transfer) return;
        problem.textContent = "";
        if (!send(frame)) {
          problem.textContent = t("console.error.offline");
          return;
        }
        // Done only when the server says so: the chat leaves us (chat mine:false), or an error comes back.
        ok.disabled = true;
        status.textContent = t("console.transfer.waiting");
        var waiting = { toAgent: frame.to_agent || null, ok: ok, problem: problem, status: status, timer: null };
        waiting.timer = window.setTimeout(function () { transferFailed(chat, "no_answer"); }, ACK_TIMEOUT);
        chat.transfer = waiting;
      });
    });
  }

  function transferWaiting() {
    for (var id in chats) {
      if (chats[id].transfer) return chats[id];
    }
    return null;
  }

  function transferFailed(chat, code) {
    var waiting = chat.transfer;
    if (!waiting) return;
    window.clearTimeout(waiting.timer);
    chat.transfer = null;
    if (dialog && dialog.chat === chat && document.body.contains(waiting.problem)) {
      waiting.ok.disabled = false;
      waiting.status.textContent = "";
      waiting.problem.textContent = errorText(code);
    } else {
      showBanner(errorText(code), "error");
    }
  }

  function openClose(chat) {
    if (chat.ended) return;
    openDialog(chat, "close-dialog", t("console.close.title"), function (form) {
      form.appendChild(el("p", null, t("console.close.text", { name: visitorName(chat) })));
      actions(form, "close-confirm", t("console.close.confirm"), true);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!send({ type: "close", conversation: chat.id })) {
          showBanner(t("console.error.offline"), "error");
          return;
        }
        closeDialog();
      });
    });
  }

  // A ticket is answered by email: when the visitor gave none, the dialog asks for one. Converting without one
  // (a ticket for internal follow-up only) takes an explicit choice.
  var EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  function openConvert(chat) {
    if (chat.ended) return;
    var known = chat.visitor && chat.visitor.email;
    openDialog(chat, "convert-dialog", t("console.convert.title_name", { name: visitorName(chat) }), function (form) {
      form.appendChild(el("p", "muted", known ? t("console.convert.text_email", { email: known })
        : t("console.convert.text_no_email")));
      var email = null;
      if (!known) {
        email = el("input");
        email.type = "email";
        email.maxLength = 254;
        email.setAttribute("autocomplete", "off");
        email.setAttribute("data-c", "convert-email");
        email.setAttribute("dir", "ltr");
        field(form, t("console.convert.email"), email, t("console.convert.email_hint"));
      }
      var reason = el("textarea");
      reason.setAttribute("data-c", "convert-reason");
      reason.maxLength = 500;
      reason.rows = 3;
      reason.required = true;
      field(form, t("console.convert.reason"), reason);
      var problem = el("p", "cx-form-error");
      problem.setAttribute("data-c", "convert-error");
      problem.setAttribute("role", "alert");
      form.appendChild(problem);
      var ok = actions(form, "convert-confirm", t("console.convert.confirm"), false);
      var without = null;
      if (!known) {
        without = el("button", "btn btn-ghost", t("console.convert.without"));
        without.type = "button";
        without.setAttribute("data-c", "convert-without-email");
        ok.parentNode.insertBefore(without, ok);
        without.addEventListener("click", function () { go(true); });
      }
      function go(noEmail) {
        problem.textContent = "";
        var text = clean(reason.value).trim();
        if (!text) {
          problem.textContent = t("console.convert.empty");
          reason.focus();
          return;
        }
        var body = { reason: text.slice(0, 500) };
        if (email && !noEmail) {
          var address = email.value.trim();
          if (!address) {
            problem.textContent = t("console.convert.email_needed");
            email.focus();
            return;
          }
          if (!EMAIL.test(address)) {
            problem.textContent = t("console.convert.email_bad");
            email.focus();
            return;
          }
          body.email = address;
        }
        ok.disabled = true;
        if (without) without.disabled = true;
        api("POST", "/api/conversations/" + encodeURIComponent(chat.id) + "/ticket", body)
          .then(function (answer) {
            closeDialog();
            if (body.email && chats[chat.id] === chat) {
              chat.visitor = Object.assign({}, chat.visitor || {}, { email: body.email });
              if (active === chat.id) renderDetails();
            }
            var ticket = answer.ticket || {};
            showBanner(t(body.email || known ? "console.convert.done" : "console.convert.done_internal"), "notice",
              ticket.id ? { href: "/tickets/" + encodeURIComponent(ticket.id), text: t("console.convert.open") } : null);
          }).catch(function (error) {
            ok.disabled = false;
            if (without) without.disabled = false;
            problem.textContent = error.code === "bad_request" && body.email ? t("console.convert.email_bad")
              : errorText(error.code);
            if (error.code === "bad_request" && email) email.focus();
          });
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        go(false);
      });
    });
  }

  // --- the queue -------------------------------------------------------------------------------------------

  function renderQueue() {
    var focused = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest("[data-c=queue-item]");
    var focusedId = focused ? focused.getAttribute("data-conversation") : null;
    ui.queue.textContent = "";
    var full = presence.load >= presence.capacity;  // away or offline agents may still pick
    queue.forEach(function (item) {
      var row = clone("tpl-queue-item");
      row.setAttribute("data-conversation", item.id);
      var name = displayName(item.visitor && item.visitor.name, item.id);
      $(".cx-qitem-name", row).textContent = name;
      var wait = $("[data-c=queue-wait]", row);
      wait.setAttribute("data-since", item.queued_at || "");
      renderQueueWait(wait);
      var first = $("[data-c=queue-first]", row);
      first.textContent = item.first_message || t("console.queue.no_message");
      if (!item.first_message) first.classList.add("muted");
      var labels = [];
      if (item.team) labels.push(t("console.queue.team", { team: item.team }));
      if (item.site && item.site !== "default") labels.push(item.site);
      $(".cx-qitem-team", row).textContent = labels.join(" · ");
      var pick = $("[data-c=pick]", row);
      var otherTeam = item.team_id && !Object.prototype.hasOwnProperty.call(teams, item.team_id);
      pick.disabled = full || !!otherTeam || chats[item.id] !== undefined && !chats[item.id].ended;
      pick.title = otherTeam ? t("console.pick.team") : full ? t("console.pick.full") : "";
      pick.setAttribute("aria-label", t("console.pick.label", { name: name }));
      pick.addEventListener("click", function () {
        if (send({ type: "pick", conversation: item.id })) pick.disabled = true;
        else showBanner(t("console.error.offline"), "error");
      });
      ui.queue.appendChild(row);
      if (focusedId === item.id) pick.focus();
    });
    ui.queueCount.textContent = String(queue.length);
    ui.queueCount.setAttribute("data-some", queue.length ? "true" : "false");
    ui.queueEmpty.hidden = queue.length > 0;
  }

  function renderQueueWait(node) {
    var at = node.getAttribute("data-since");
    node.textContent = at ? since(at) : "";
    var s = at ? secondsSince(at) : 0;
    node.setAttribute("data-level", s >= 120 ? "late" : s >= 45 ? "soon" : "fresh");
  }

  // --- visitor details -------------------------------------------------------------------------------------

  function loadDetails(chat) {
    api("GET", "/api/conversations/" + encodeURIComponent(chat.id)).then(function (body) {
      chat.history = body.history || {};
      chat.visitor = Object.assign({}, (body.history && body.history.visitor) || {}, chat.visitor || {});
      if (typeof body.read_seq === "number") markSeen(chat, body.read_seq);
      renderChatHead(chat);
      renderChatItem(chat);
      if (active === chat.id) renderDetails();
    }).catch(function () { /* the socket still works; details stay empty */ });
  }

  function renderDetails() {
    var chat = viewing || (active && chats[active]);
    ui.detailsEmpty.hidden = !!chat;
    ui.detailsBody.hidden = !chat;
    if (!chat) return;
    var v = chat.visitor || {};
    var name = chats[chat.id] === chat ? visitorName(chat)
      : displayName(v.name && v.name !== DEFAULT_VISITOR ? v.name : (chat.info.visitor && chat.info.visitor.name), chat.id);
    $("[data-c=visitor-name]", ui.details).textContent = name;
    setAvatar($(".cx-avatar", ui.details), name, chat.id);
    var email = $("[data-c=visitor-email]", ui.details);
    email.textContent = v.email || t("console.details.no_email");
    email.classList.toggle("muted", !v.email);
    var page = $("[data-c=visitor-page]", ui.details);
    var href = httpUrl(v.page_url);
    if (href) {
      page.setAttribute("href", href);
      page.textContent = prettyUrl(href);
      page.title = href;
    } else {
      page.removeAttribute("href");
      page.removeAttribute("title");
      page.textContent = v.page_url ? String(v.page_url).slice(0, 200) : t("console.details.unknown");
    }
    page.classList.toggle("muted", !href);
    $(".cx-page-title", ui.details).textContent = v.page_title || "";
    setFact("[data-c=visitor-browser]", v.browser || v.user_agent);
    setFact("[data-c=visitor-lang]", languageName(v.language));
    renderLocalTime();
    setFact(".cx-site", chat.info.site + (chat.info.topic ? " · " + chat.info.topic : ""));
    setFact(".cx-started", dateOf(chat.info.created_at) + " " + timeOf(chat.info.created_at));
    renderHistory(chat);
  }

  function setFact(selector, value) {
    var node = $(selector, ui.details);
    node.textContent = value || t("console.details.unknown");
    node.classList.toggle("muted", !value);
  }

  function prettyUrl(href) {
    try {
      var url = new URL(href);
      var text = url.host + url.pathname + url.search;
      return text.length > 60 ? text.slice(0, 59) + "…" : text;
    } catch (e) {
      return href;
    }
  }

  function languageName(tag) {
    if (!tag) return "";
    try {
      if (window.Intl && Intl.DisplayNames) {
        var name = new Intl.DisplayNames([data.lang], { type: "language" }).of(tag);
        if (name && name !== tag) return name + " (" + tag + ")";
      }
    } catch (e) { /* an odd tag: show it as it is */ }
    return tag;
  }

  function renderLocalTime() {
    var chat = viewing || (active && chats[active]);
    if (!chat) return;
    var tz = chat.visitor && chat.visitor.timezone;
    var node = $("[data-c=visitor-time]", ui.details);
    if (!tz) {
      node.textContent = t("console.details.unknown");
      node.classList.add("muted");
      return;
    }
    try {
      var time = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit", weekday: "short",
        timeZone: tz }).format(new Date());
      node.textContent = t("console.details.local", { time: time, tz: tz });
      node.classList.remove("muted");
    } catch (e) {
      node.textContent = tz;
    }
  }

  function renderHistory(chat) {
    var list = $("[data-c=history]", ui.details);
    list.textContent = "";
    var h = chat.history;
    if (!h) {
      list.appendChild(el("li", "muted small", t("console.history.loading")));
      return;
    }
    var items = [];
    (h.conversations || []).forEach(function (c) { items.push({ kind: "chat", at: c.created_at, item: c }); });
    (h.tickets || []).forEach(function (ticket) { items.push({ kind: "ticket", at: ticket.created_at, item: ticket }); });
    items.sort(function (a, b) { return a.at < b.at ? 1 : -1; });
    if (!items.length) {
      list.appendChild(el("li", "muted small", t("console.history.none")));
      return;
    }
    items.slice(0, 30).forEach(function (entry) {
      var li = el("li", "cx-hist cx-hist-" + entry.kind);
      var link = el("a", "cx-hist-link");
      link.setAttribute("data-c", "history-item");
      if (entry.kind === "ticket") {
        link.href = "/tickets/" + encodeURIComponent(entry.item.id);
        link.target = "_blank";
        link.rel = "noopener";
        link.appendChild(el("span", "cx-hist-title", entry.item.subject || t("console.history.ticket")));
        link.appendChild(el("span", "cx-hist-meta", t("console.history.ticket") + " · " +
          tOr("console.ticket_status." + entry.item.status, entry.item.status) + " · " + dateOf(entry.at)));
      } else {
        link.href = "#";
        link.setAttribute("data-conversation", entry.item.id);
        link.appendChild(el("span", "cx-hist-title", t("console.history.chat", { date: dateOf(entry.at) })));
        link.appendChild(el("span", "cx-hist-meta", tOr("console.conv_status." + entry.item.status, entry.item.status) +
          (entry.item.resolution ? " · " + tOr("console.resolution." + entry.item.resolution, entry.item.resolution) : "")));
        link.addEventListener("click", function (event) {
          event.preventDefault();
          openEarlier(entry.item.id);
        });
      }
      li.appendChild(link);
      list.appendChild(li);
    });
  }

  // --- an earlier conversation, read only --------------------------------------------------------------------

  function openEarlier(id) {
    if (chats[id]) {  // still in the list (ended, not dismissed): show it there
      activate(id, true);
      return;
    }
    api("GET", "/api/conversations/" + encodeURIComponent(id)).then(function (body) {
      closeViewing();
      var current = active && chats[active];
      if (current) {
        saveDraft(current);
        current.pane.hidden = true;
      }
      var info = body.conversation;
      var view = {
        id: info.id, info: info, visitor: (body.history && body.history.visitor) || null, history: body.history,
        lastSeq: 0, readSeq: 0, pending: {}, queue: [], ended: true, articleTitles: {},
      };
      var pane = clone("tpl-pane");
      pane.setAttribute("data-conversation", info.id);
      pane.setAttribute("data-ended", "true");
      pane.setAttribute("data-readonly", "true");
      pane.removeAttribute("role");
      pane.setAttribute("aria-label", t("console.readonly"));
      view.pane = pane;
      view.log = $("[data-c=log]", pane);
      view.composer = $("[data-c=composer]", pane);
      $(".cx-compose", pane).remove();
      $$("[data-c=transfer], [data-c=convert], [data-c=close]", pane).forEach(function (node) { node.remove(); });
      var back = $("[data-c=dismiss]", pane);
      back.hidden = false;
      back.textContent = t("console.back");
      back.addEventListener("click", function () {
        closeViewing();
        if (active && chats[active]) activate(active, true);
        else {
          ui.empty.hidden = false;
          renderDetails();
        }
      });
      var bar = $(".cx-ended", pane);
      bar.hidden = false;
      $(".cx-ended-text", bar).textContent = t("console.readonly") + " · " + dateOf(info.created_at);
      $(".cx-pane-name", pane).textContent = displayName(view.visitor && view.visitor.name &&
        view.visitor.name !== DEFAULT_VISITOR ? view.visitor.name : (info.visitor && info.visitor.name), info.id);
      setAvatar($(".cx-avatar", pane), $(".cx-pane-name", pane).textContent, info.id);
      $(".cx-pane-sub", pane).textContent = tOr("console.conv_status." + info.status, info.status) +
        (info.agent ? " · " + info.agent.name : "");
      (body.events || []).forEach(function (event) { view.log.appendChild(eventNode(view, event, false)); });
      ui.panes.appendChild(pane);
      pane.hidden = false;
      ui.empty.hidden = true;
      viewing = view;
      renderDetails();
      view.log.parentNode.scrollTop = view.log.parentNode.scrollHeight;
      back.focus();
    }).catch(function (error) { showBanner(errorText(error.code), "error"); });
  }

  function closeViewing() {
    if (!viewing) return;
    viewing.pane.remove();
    viewing = null;
  }

  // --- banner ----------------------------------------------------------------------------------------------

  var bannerTimer = null;
  // The banner is what the eye sees; screen readers hear it through one of two fixed live regions (an alert for
  // errors, a polite status for notices), never by a role switched on the banner.
  // It sits in the chat shown, just above its composer (in the flow: it covers no control), or at the top of the
  // empty centre when no chat is shown. A notice goes after 6 s or at the agent's next action, an error after 12 s.
  var bannerHome = ui.banner.parentNode;
  function placeBanner() {
    var banner = ui.banner;
    var chat = viewing || (active && chats[active]);
    var main = chat && chat.pane && !chat.pane.hidden && $(".cx-pane-main", chat.pane);
    if (main) {
      var before = $(".cx-compose", main);
      if (!before || before.hidden) before = null;
      if (banner.parentNode !== main || banner.nextSibling !== before) main.insertBefore(banner, before);
      banner.classList.add("cx-banner-inline");
    } else {
      if (banner.parentNode !== bannerHome) bannerHome.insertBefore(banner, bannerHome.firstChild);
      banner.classList.remove("cx-banner-inline");
    }
  }

  function hideBanner() {
    window.clearTimeout(bannerTimer);
    ui.banner.hidden = true;
  }

  function nextAction(event) {
    if (ui.banner.hidden || ui.banner.getAttribute("data-kind") === "error") return;
    if (event.type === "keydown" && /^(Shift|Control|Alt|AltGraph|Meta|CapsLock|Tab)$/.test(event.key)) return;
    if (event.target && event.target.closest && event.target.closest("[data-c=banner]")) return;
    hideBanner();
  }
  document.addEventListener("keydown", nextAction, true);
  document.addEventListener("pointerdown", nextAction, true);

  function showBanner(text, kind, link) {
    var banner = ui.banner;
    placeBanner();
    banner.setAttribute("data-kind", kind || "notice");
    var live = kind === "error" ? ui.alert : ui.announce;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
    var box = $(".cx-banner-text", banner);
    box.textContent = text;
    if (link) {
      var a = el("a", "cx-banner-link", link.text);
      a.href = link.href;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
    banner.hidden = false;
    window.clearTimeout(bannerTimer);
    bannerTimer = window.setTimeout(function () { banner.hidden = true; }, kind === "error" ? 12000 : 6000);
  }

  $(".cx-banner-close", ui.banner).addEventListener("click", hideBanner);

  // --- status ----------------------------------------------------------------------------------------------

  // Away is kept across a reload, offline never (a reload must not silently keep an agent out of routing).
  // Going offline with chats held sends them back to the queue: the agent confirms first.
  ui.status.addEventListener("change", function () {
    var value = ui.status.value;
    var held = order.filter(function (id) { return !chats[id].ended; }).length;
    if (value === "offline" && held && presence.status !== "offline") {
      ui.status.value = presence.status;
      openDialog(null, "offline-dialog", t("console.offline.title"), function (form) {
        form.appendChild(el("p", null, tp("console.offline.text", held)));
        actions(form, "offline-confirm", t("console.offline.confirm"), true);
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          closeDialog();
          setStatus("offline");
        });
      });
      return;
    }
    setStatus(value);
  });

  function setStatus(value) {
    store("status", value === "away" ? "away" : null);
    if (!send({ type: "status", status: value })) ui.status.value = presence.status;
    else ui.status.value = value;
  }

  // --- keyboard --------------------------------------------------------------------------------------------

  // Which shortcut a key press is, if any. Letters are matched on the character the key gives (event.key), so
  // Alt+Q is the key labelled Q on any layout (AZERTY too); an Alt press that types a character instead (Option+N
  // is a dead key for ñ on a Mac, Option+C is ç, AltGr+Q is @) is no shortcut and types as usual. On a Mac,
  // Control+Option+letter works everywhere (it never types). Alt+Arrow in a list (a <select>) is left to it.
  // Chat N is Ctrl+Alt+1..9: Alt+1..9 alone switches the browser's tabs on Linux.
  function shortcutOf(event) {
    if (!event.altKey || event.metaKey || event.isComposing) return null;
    var key = event.key || "";
    var code = event.code || "";
    var typing = inTextField(event.target);
    if ((key === "ArrowDown" || key === "ArrowUp") && !event.ctrlKey && !event.shiftKey) {
      if (event.target && event.target.tagName === "SELECT") return null;
      return { step: key === "ArrowDown" ? 1 : -1 };
    }
    var digit = /^Digit([1-9])$/.exec(code);
    if (event.ctrlKey && digit) {
      if (/^[1-9]$/.test(key) || !typing || key.length !== 1) return { nth: Number(digit[1]) };
      return null;  // AltGr+digit typed a character
    }
    if (event.ctrlKey && /^[1-9]$/.test(key)) return { nth: Number(key) };
    var letter = /^[a-z]$/i.test(key) ? key.toLowerCase() : null;
    if (!letter && IS_MAC && event.ctrlKey) {
      var named = /^Key([A-Z])$/.exec(code);
      if (named) letter = named[1].toLowerCase();
    }
    if (letter && "nkqc".indexOf(letter) >= 0) return { letter: letter };
    return null;
  }

  function inTextField(target) {
    return target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && !/^(button|checkbox|radio|submit)$/.test(target.type)) || target.isContentEditable);
  }

  function openHelp() {
    ui.help.hidden = false;
    ui.help.back = document.activeElement;
    $(".cx-help", ui.help).focus();
  }

  function closeHelp() {
    ui.help.hidden = true;
    if (ui.help.back && document.body.contains(ui.help.back)) ui.help.back.focus();
  }

  $("[data-c=help-open]").addEventListener("click", openHelp);
  $("[data-close]", ui.help).addEventListener("click", closeHelp);
  ui.help.addEventListener("mousedown", function (event) { if (event.target === ui.help) closeHelp(); });

  function trapFocus(event, container) {
    var focusable = $$("button:not([disabled]), select:not([disabled]), textarea:not([disabled]), input:not([disabled]), a[href]",
      container);
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && (document.activeElement === first || !container.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (!ui.help.hidden) { event.preventDefault(); closeHelp(); return; }
      if (dialog) { event.preventDefault(); closeDialog(); return; }
      var chat = active && chats[active];
      if (chat && chat.canned) { event.preventDefault(); closeCanned(chat); return; }
      if (chat && chat.kb) { event.preventDefault(); closeKb(chat); chat.composer.focus(); return; }
      if (!ui.banner.hidden) { ui.banner.hidden = true; return; }
      return;
    }
    if (event.key === "Tab") {
      if (!ui.help.hidden) trapFocus(event, ui.help);
      else if (dialog) trapFocus(event, dialog.node);
      return;
    }
    var shortcut = shortcutOf(event);
    if (shortcut) {
      var current = active && chats[active];
      if (shortcut.step) {
        event.preventDefault();
        var next = active ? neighbour(active, shortcut.step) : order[0];
        if (next) activate(next, true);
        return;
      }
      if (shortcut.nth) {  // the Nth open chat
        event.preventDefault();
        var id = order.filter(function (other) { return !chats[other].ended; })[shortcut.nth - 1];
        if (id) activate(id, true);
        return;
      }
      var letter = shortcut.letter;
      if (letter === "k" && current) { event.preventDefault(); openKb(current); return; }
      if (letter === "n" && current && !current.ended) {
        event.preventDefault();
        setMode(current, current.mode === "note" ? "reply" : "note");
        saveDraft(current);
        current.composer.focus();
        return;
      }
      if (letter === "q") {
        event.preventDefault();
        var pick = $("[data-c=pick]:not([disabled])", ui.queue);
        if (pick) {
          pick.focus();
        } else {  // nothing to pick (at capacity, other teams, or nobody waits): the queue's heading, and how many
          var heading = document.getElementById("cx-queue-title");
          heading.scrollIntoView({ block: "nearest" });
          heading.focus();
        }
        announce(tp("console.queue.waiting", queue.length));
        return;
      }
      if (letter === "c" && current && !current.ended) { event.preventDefault(); openClose(current); return; }
      return;
    }
    if (event.key === "?" && !event.ctrlKey && !event.metaKey && !inTextField(event.target) && ui.help.hidden) {
      event.preventDefault();
      openHelp();
    }
  });

  // --- ticking clocks ------------------------------------------------------------------------------------

  window.setInterval(function () {
    order.forEach(function (id) { renderWait(chats[id]); });
    $$("[data-c=queue-wait]", ui.queue).forEach(renderQueueWait);
  }, 1000);
  window.setInterval(renderLocalTime, 20000);

  window.setInterval(dismissOld, 30000);

  window.addEventListener("beforeunload", function () {
    var chat = active && chats[active];
    if (chat) saveDraft(chat);  // only if this tab changed it
  });

  // Another tab of this person changed a draft: this one shows it too, unless the agent is typing here.
  window.addEventListener("storage", function (event) {
    if (!event.key || event.key.indexOf(LS) !== 0) return;
    var match = /^draft\.(.+)$/.exec(event.key.slice(LS.length));
    var chat = match && chats[match[1]];
    if (!chat || Date.now() - chat.typedAt < 3000) return;
    var draft = parseDraft(event.newValue);
    chat.draft = draft.text;
    chat.draftMode = draft.mode;
    chat.composer.value = draft.text;
    if (!chat.ended) setMode(chat, draft.mode);
    autosize(chat);
    renderEnded(chat);
  });

  // Signing out (the top bar's form) leaves nothing of the console in this browser: drafts, unsent messages,
  // read marks, settings.
  $$("form[action='/logout']").forEach(function (form) {
    form.addEventListener("submit", function () {
      storedKeys().forEach(function (key) {
        try { window.localStorage.removeItem(LS + key); } catch (e) { /* storage unavailable */ }
      });
      signingOut = true;
    });
  });

  ui.clearEnded.addEventListener("click", function () {
    order.slice().forEach(function (id) { if (chats[id].ended) dismiss(chats[id]); });
  });

  renderMute();
  renderNotify();
  renderPresence();
  renderQueue();
  renderCounts();
  renderDetails();
  connect();
})();
