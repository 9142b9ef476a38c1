/* The manager page's live panel: one socket to /ws/manager, each "stats" frame written into the panel as text.
   Plain ES2017, no build. Strings come from the JSON data island (#mg-data); the CSP allows no inline script.
   The period part of the page is server-rendered and works without this file; here the dates are enabled
   (and sent) only while "custom" is chosen. */
(function () {
  "use strict";

  var island = document.getElementById("mg-data");
  var panel = document.querySelector("[data-live]");
  if (!island || !panel) return;
  var data = JSON.parse(island.textContent || "{}");
  var strings = data.strings || {};
  var lang = data.lang === "fr" ? "fr" : "en";
  var NBSP = "\u00a0";

  function t(key, values) {
    var text = strings[key] || key;
    if (values) {
      Object.keys(values).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(values[name]));
      });
    }
    return text;
  }

  function tp(key, n) { // singular or plural for the count (French counts 0 and 1 as singular), as i18n.py
    var one = n === 1 || (lang === "fr" && n === 0);
    return t(key + (one ? ".one" : ".other"), { n: n });
  }

  // --- figures, as web/figures.py writes them -----------------------------------------------------------
  var counts = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", { maximumFractionDigits: 0 });
  var percents = new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-US", { style: "percent", maximumFractionDigits: 1 });

  function count(value) {
    return typeof value === "number" && isFinite(value) ? counts.format(value) : "—";
  }

  function percent(value) {
    return typeof value === "number" && isFinite(value) ? percents.format(value) : "—";
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function duration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds)) return "—";
    var total = Math.max(0, Math.round(seconds));
    if (total < 60) return total + NBSP + "s";
    var minutes = Math.floor(total / 60);
    var secs = total % 60;
    if (minutes < 60) return secs ? minutes + NBSP + "min" + NBSP + pad(secs) + NBSP + "s" : minutes + NBSP + "min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) return minutes ? hours + NBSP + "h" + NBSP + pad(minutes) + NBSP + "min" : hours + NBSP + "h";
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    var word = lang === "fr" ? "j" : "d";
    return hours ? days + NBSP + word + NBSP + hours + NBSP + "h" : days + NBSP + word;
  }

  // --- the panel ---------------------------------------------------------------------------------------------
  var fields = {};
  Array.prototype.forEach.call(panel.querySelectorAll("[data-live-field]"), function (el) {
    fields[el.getAttribute("data-live-field")] = el;
  });
  var labels = {}; // the words after a count ("1 away", "2 absents"), in the singular or plural for it
  Array.prototype.forEach.call(panel.querySelectorAll("[data-live-label]"), function (el) {
    labels[el.getAttribute("data-live-label")] = el;
  });
  var stateText = panel.querySelector("[data-live-state-text]");
  var agentsBody = panel.querySelector("[data-live-agents]");
  var agentsNone = panel.querySelector("[data-live-agents-none]");
  var rowTemplate = document.getElementById("mg-agent-row");

  function setField(name, text) {
    var el = fields[name];
    if (el && el.textContent !== text) el.textContent = text;
  }

  function setCount(name, value) {
    setField(name, count(value));
    var el = labels[name];
    if (!el) return;
    var known = typeof value === "number" && isFinite(value);
    var text = known ? tp("manager.live." + name, value) : t("manager.live." + name + ".other");
    if (el.textContent !== text) el.textContent = text;
  }

  function setState(state) {
    panel.setAttribute("data-live-state", state);
    if (stateText) stateText.textContent = t("manager.live.state." + state);
  }

  var oldestQueuedAt = null; // ms since the epoch, server clock
  var clockOffset = 0; // server clock minus this browser's, ms

  function tickLongestWait() {
    if (oldestQueuedAt === null) {
      setField("longest_wait", "—");
      return;
    }
    setField("longest_wait", duration((Date.now() + clockOffset - oldestQueuedAt) / 1000));
  }

  function statusText(status) {
    var key = "manager.status." + status;
    return strings[key] || String(status);
  }

  // Who can take a chat first: online, then away, then offline; within a status the busiest first (the share of
  // their capacity in use, then the number of chats), then by name. A full agent is not lost at the bottom of a
  // list sorted by name, and the offline ones (usually most of them) come last.
  var STATUS_RANK = { online: 0, away: 1, offline: 2 };
  var collator = typeof Intl === "object" && Intl.Collator ? new Intl.Collator(lang, { sensitivity: "base" }) : null;

  function loadShare(agent) {
    var load = Number(agent.load) || 0;
    var capacity = Number(agent.capacity) || 0;
    return capacity > 0 ? load / capacity : load > 0 ? 1 : 0;
  }

  function compareAgents(a, b) {
    var rankA = Object.prototype.hasOwnProperty.call(STATUS_RANK, a.status) ? STATUS_RANK[a.status] : 3;
    var rankB = Object.prototype.hasOwnProperty.call(STATUS_RANK, b.status) ? STATUS_RANK[b.status] : 3;
    if (rankA !== rankB) return rankA - rankB;
    var share = loadShare(b) - loadShare(a);
    if (share !== 0) return share;
    var load = (Number(b.load) || 0) - (Number(a.load) || 0);
    if (load !== 0) return load;
    var nameA = String(a.name || "");
    var nameB = String(b.name || "");
    var byName = collator ? collator.compare(nameA, nameB) : nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
    if (byName !== 0) return byName;
    return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0;
  }

  function renderAgents(agents) {
    if (!agentsBody || !rowTemplate) return;
    agents = agents.slice().sort(compareAgents);
    var existing = {};
    Array.prototype.forEach.call(agentsBody.querySelectorAll("tr[data-agent-id]"), function (row) {
      existing[row.getAttribute("data-agent-id")] = row;
    });
    var seen = {};
    agents.forEach(function (agent, index) {
      var id = String(agent.id);
      seen[id] = true;
      var row = existing[id];
      if (!row) {
        row = rowTemplate.content.firstElementChild.cloneNode(true);
        row.setAttribute("data-agent-id", id);
      }
      row.querySelector(".mg-agent-name").textContent = String(agent.name || "");
      var status = row.querySelector("[data-agent-status]");
      status.setAttribute("data-status", String(agent.status));
      status.querySelector(".mg-status-text").textContent = statusText(agent.status);
      var load = Number(agent.load) || 0;
      var capacity = Number(agent.capacity) || 0;
      row.querySelector("[data-agent-load]").textContent = load + "/" + capacity;
      // "1 of 1 chat", "1 of 3 chats"; "1 chat sur 3", "2 chats sur 3": the noun agrees with the count next to it.
      var noun = lang === "fr" ? load : capacity;
      var one = noun === 1 || (lang === "fr" && noun === 0);
      row.querySelector(".mg-load-spoken").textContent =
        t("manager.live.load." + (one ? "one" : "other"), { load: load, capacity: capacity });
      var bar = row.querySelector(".mg-load");
      var share = capacity > 0 ? Math.min(1, load / capacity) : 0;
      bar.querySelector(".mg-load-fill").style.width = Math.round(share * 100) + "%";
      if (capacity > 0 && load >= capacity) bar.setAttribute("data-level", "full");
      else bar.removeAttribute("data-level");
      // In the order above; insertBefore moves a row that is already there.
      if (agentsBody.children[index] !== row) agentsBody.insertBefore(row, agentsBody.children[index] || null);
    });
    Object.keys(existing).forEach(function (id) {
      if (!seen[id]) existing[id].remove();
    });
    if (agentsNone) agentsNone.hidden = agents.length > 0;
  }

  function render(frame) {
    if (typeof frame.version === "number") panel.setAttribute("data-live-version", String(frame.version));
    var serverNow = Date.parse(frame.server_time);
    if (!isNaN(serverNow)) clockOffset = serverNow - Date.now();
    var oldest = frame.oldest_queued_at ? Date.parse(frame.oldest_queued_at) : NaN;
    oldestQueuedAt = isNaN(oldest) ? null : oldest;
    setField("waiting", count(frame.waiting));
    tickLongestWait();
    setField("estimated_wait", duration(frame.estimated_wait_seconds));
    setField("in_progress", count(frame.in_progress));
    setField("bot", count(frame.bot));
    setCount("agents_online", frame.agents_online);
    setCount("agents_away", frame.agents_away);
    setCount("agents_offline", frame.agents_offline);
    var today = frame.today || {};
    setField("today_conversations", count(today.conversations));
    setField("today_deflection", percent(today.deflection_rate));
    setField("today_first_response", duration(today.first_response_median_seconds));
    setField("today_abandoned", count(today.abandoned));
    setField("today_tickets", count(today.tickets_created));
    setField("today_csat", percent(today.csat));
    renderAgents(Array.isArray(frame.agents) ? frame.agents : []);
  }

  // --- the socket ----------------------------------------------------------------------------------------------
  var socket = null;
  var attempts = 0;
  var retryTimer = null;
  var stopped = false; // the server said this session may not watch (signed out, not a manager)

  function socketUrl() {
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + (data.socket || "/ws/manager");
  }

  function scheduleReconnect() {
    if (stopped || retryTimer !== null) return;
    // 1 s, 2 s, 4 s … up to 30 s, with jitter so that a restarted server is not hit by every page at once.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.75 + Math.random() * 0.5);
    attempts += 1;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    if (stopped) return;
    // "offline" stays until a frame arrives again: a retry that fails is not news.
    if (panel.getAttribute("data-live-state") !== "offline") setState("connecting");
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (err) {
      setState("offline");
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: "hello", v: 1 }));
    };
    ws.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame.type === "stats") {
        attempts = 0;
        if (panel.getAttribute("data-live-state") !== "live") setState("live");
        render(frame);
      } else if (frame.type === "error" && (frame.code === "unauthorized" || frame.code === "forbidden")) {
        stopped = true; // reconnecting would be refused the same way; a reload goes through sign-in
      }
    };
    ws.onclose = function () {
      if (socket === ws) socket = null;
      setState("offline");
      scheduleReconnect();
    };
  }

  setInterval(tickLongestWait, 1000);
  window.addEventListener("online", function () {
    if (socket === null && retryTimer !== null) {
      clearTimeout(retryTimer);
      retryTimer = null;
      attempts = 0;
      connect();
    }
  });
  connect();

  // --- the period form ---------------------------------------------------------------------------------------
  // From/To are only sent for "custom": for another period they show that period's days (rendered so by the
  // server) and are disabled, so a bookmarked link never holds dates its period contradicts.
  var form = document.querySelector("form[data-period-form]");
  if (form) {
    var period = form.querySelector("select[name=period]");
    var dates = form.querySelectorAll("input[type=date]");
    var mark = function () {
      var custom = period.value === "custom";
      form.setAttribute("data-custom", custom ? "yes" : "no");
      Array.prototype.forEach.call(dates, function (input) { input.disabled = !custom; });
    };
    period.addEventListener("change", mark);
    mark();
  }
})();
