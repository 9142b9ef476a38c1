/*! chatsvc visitor widget. Embed: <script src="https://HOST/widget.js" data-site="SITE_KEY" async></script>
 * Several servers (no load balancer): data-servers="https://a.example,https://b.example"; the widget uses one and
 * moves to the next when it cannot connect or its socket ends unexpectedly (default: the script's origin).
 * Plain JavaScript, no dependency. Everything lives in one open shadow root on <div id="chatsvc-widget">; the
 * only global is window.Chatsvc. Server text is only ever set as text (textContent) or, for knowledge-base
 * answers, rebuilt element by element from an allow-list: no innerHTML anywhere. */
(function () {
  'use strict';

  // --- every string the visitor can read, in each language ----------------------------------------------
  var STRINGS = {
    en: {
      open: 'Open chat', openUnread: 'Open chat, {n} unread', closeChat: 'Minimise chat', dialog: 'Chat with {site}',
      connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Connection lost. Reconnecting…',
      online: 'We’re online', replies: 'We reply in a few minutes', away: 'We’ll reply by email',
      withAgent: 'Chatting with {name}', unavailable: 'Chat is unavailable right now.',
      greeting: 'Hi! How can we help you today?', conversation: 'Conversation', placeholder: 'Write a message…', message: 'Message', send: 'Send',
      you: 'You', sending: 'Sending…', sent: 'Sent', failed: 'Not sent.', retry: 'Retry', discard: 'Discard',
      notSentEnded: 'Not sent: the chat had ended.', tooLong: 'Not sent: this message is too long to send.', sendNew: 'Send in a new chat',
      typing: '{name} is typing…', yes: 'Yes', no: 'No, talk to a person', human: 'Talk to a person',
      yesSaid: 'Yes, that solved it', noSaid: 'No, that didn’t help',
      queue: 'You’re number {n} in line', queueNext: 'You’re next in line', waitIs: 'Estimated wait: {t}',
      waitNow: 'Someone will be with you in a moment.', nobody: 'No one is available to chat right now.',
      lessMin: 'less than a minute', aboutMin: 'about {n} min', aboutHour: 'about {n} h',
      leaveOffer: 'Leave a message instead',
      queued: 'We’re finding a person to help you.', joined: '{name} joined the chat',
      transferred: '{name} took over the chat', left: '{name} left the chat. Finding someone else…',
      requeued: 'Finding someone else to help you…', endedYou: 'You ended the chat.',
      endedBy: '{name} ended the chat.', ended: 'This chat has ended.',
      ticket: 'Your message became a request. We’ll reply by email.',
      endChat: 'End chat', endAsk: 'End this chat?', endNote: 'You can start a new one at any time.', cancel: 'Cancel',
      newChat: 'Start a new chat',
      limit: 'Messages are limited to 4,000 characters.',
      leaveWhy: 'Your chat is waiting, but no one can take it now: leave a message instead.',
      leaveTitle: 'Leave us a message', leaveIntro: 'No one can answer right now. Leave a message and we’ll reply by email.',
      nameOpt: 'Name (optional)', email: 'Email', yourMessage: 'Message', leaveSend: 'Send message',
      notNow: 'Not now', leaveDone: 'Thanks! We got your message and will reply to {email}.',
      badEmail: 'Please enter a valid email address.', needMessage: 'Please write a message.',
      tooMany: 'Too many messages. Please try again later.', sendFailed: 'That didn’t go through. Please try again.',
      prechatTitle: 'Before we start', prechatIntro: 'Tell us how to reach you in case we get disconnected.',
      prechatIntroReq: 'Please leave your email so we can reach you if we get disconnected.',
      start: 'Start chat', skip: 'Skip',
      surveyTitle: 'How was this conversation?', star: 'Rate {n} out of 5: {label}',
      stars: ['Very bad', 'Bad', 'OK', 'Good', 'Excellent'],
      npsQ: 'How likely are you to recommend us to a friend?', npsLow: 'Not likely', npsHigh: 'Very likely',
      cesQ: 'How easy was it to get the help you needed?', cesLow: 'Very difficult', cesHigh: 'Very easy',
      comment: 'Anything else you’d like to tell us? (optional)', surveySend: 'Send feedback',
      surveyDone: 'Thank you for your feedback!', dismiss: 'Dismiss', powered: 'Powered by chatsvc'
    },
    fr: {
      open: 'Ouvrir la discussion', openUnread: 'Ouvrir la discussion, {n} non lu(s)',
      closeChat: 'Réduire la discussion', dialog: 'Discussion avec {site}',
      connecting: 'Connexion…', reconnecting: 'Reconnexion…', offline: 'Connexion perdue. Reconnexion…',
      online: 'Nous sommes en ligne', replies: 'Nous répondons en quelques minutes',
      away: 'Nous répondrons par e-mail', withAgent: 'En discussion avec {name}',
      unavailable: 'La discussion n’est pas disponible pour le moment.',
      greeting: 'Bonjour ! Comment pouvons-nous vous aider ?', conversation: 'Discussion', placeholder: 'Écrivez un message…',
      message: 'Message', send: 'Envoyer', you: 'Vous', sending: 'Envoi…', sent: 'Envoyé', failed: 'Non envoyé.',
      retry: 'Réessayer', discard: 'Supprimer', notSentEnded: 'Non envoyé : la discussion était terminée.',
      tooLong: 'Non envoyé : ce message est trop long pour être envoyé.',
      sendNew: 'Envoyer dans une nouvelle discussion',
      typing: '{name} écrit…', yes: 'Oui', no: 'Non, parler à un conseiller',
      human: 'Parler à un conseiller', yesSaid: 'Oui, c’est résolu', noSaid: 'Non, cela ne m’a pas aidé',
      queue: 'Vous êtes en position {n} dans la file', queueNext: 'Vous êtes le prochain dans la file',
      waitIs: 'Attente estimée : {t}', waitNow: 'Quelqu’un va vous répondre dans un instant.',
      nobody: 'Personne n’est disponible pour discuter pour le moment.',
      lessMin: 'moins d’une minute', aboutMin: 'environ {n} min', aboutHour: 'environ {n} h',
      leaveOffer: 'Laisser plutôt un message',
      queued: 'Nous cherchons un conseiller pour vous aider.', joined: '{name} a rejoint la discussion',
      transferred: '{name} a repris la discussion', left: '{name} a quitté la discussion. Nous cherchons quelqu’un d’autre…',
      requeued: 'Nous cherchons quelqu’un d’autre pour vous aider…', endedYou: 'Vous avez terminé la discussion.',
      endedBy: '{name} a terminé la discussion.', ended: 'Cette discussion est terminée.',
      ticket: 'Votre message est devenu une demande. Nous vous répondrons par e-mail.',
      endChat: 'Terminer', endAsk: 'Terminer cette discussion ?',
      endNote: 'Vous pourrez en commencer une nouvelle à tout moment.', cancel: 'Annuler',
      newChat: 'Nouvelle discussion',
      leaveTitle: 'Laissez-nous un message',
      limit: 'Les messages sont limités à 4\u202f000 caractères.',
      leaveWhy: 'Votre discussion attend, mais personne ne peut la prendre maintenant : laissez plutôt un message.',
      leaveIntro: 'Personne ne peut répondre pour le moment. Laissez un message, nous vous répondrons par e-mail.',
      nameOpt: 'Nom (facultatif)', email: 'E-mail', yourMessage: 'Message', leaveSend: 'Envoyer le message',
      notNow: 'Plus tard', leaveDone: 'Merci ! Nous avons bien reçu votre message et répondrons à {email}.',
      badEmail: 'Veuillez saisir une adresse e-mail valide.', needMessage: 'Veuillez écrire un message.',
      tooMany: 'Trop de messages. Veuillez réessayer plus tard.', sendFailed: 'L’envoi a échoué. Veuillez réessayer.',
      prechatTitle: 'Avant de commencer', prechatIntro: 'Dites-nous comment vous joindre si la connexion est coupée.',
      prechatIntroReq: 'Laissez votre e-mail pour que nous puissions vous joindre si la connexion est coupée.',
      start: 'Commencer', skip: 'Passer',
      surveyTitle: 'Comment s’est passée cette discussion ?', star: 'Note {n} sur 5 : {label}',
      stars: ['Très mauvaise', 'Mauvaise', 'Correcte', 'Bonne', 'Excellente'],
      npsQ: 'Recommanderiez-vous nos services à un ami ?', npsLow: 'Peu probable', npsHigh: 'Très probable',
      cesQ: 'Avez-vous obtenu facilement l’aide dont vous aviez besoin ?', cesLow: 'Très difficilement',
      cesHigh: 'Très facilement', comment: 'Autre chose à nous dire ? (facultatif)', surveySend: 'Envoyer mon avis',
      surveyDone: 'Merci pour votre avis !', dismiss: 'Fermer', powered: 'Propulsé par chatsvc'
    }
  };

  if (window.Chatsvc) return; // loaded twice: the first copy serves

  // --- where we come from ----------------------------------------------------------------------------------
  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll('script[data-site]');
    for (var fi = 0; fi < found.length; fi++) if (/\/widget\.js([?#]|$)/.test(found[fi].src)) script = found[fi];
  }
  var SITE = script && script.getAttribute('data-site');
  if (!SITE || !script.src) {
    warn('no data-site on the <script> tag: the widget stays off');
    return;
  }
  // Where the server is: one of data-servers (origins, comma separated), else the script's own origin. REST
  // calls and the socket go to the current one; a failed connection or an unexpected close moves to the next.
  var SERVERS = (script.getAttribute('data-servers') || '').split(',').map(function (u) {
    try { return u.trim() ? new URL(u.trim(), location.href).origin : ''; } catch (e) { return ''; }
  }).filter(function (u) { return /^https?:/.test(u); });
  if (!SERVERS.length) SERVERS = [new URL(script.src, location.href).origin];
  var at = 0, BASE = SERVERS[0];
  function nextServer() {
    at = (at + 1) % SERVERS.length;
    BASE = SERVERS[at];
    return at;
  }
  var wantLang = (script.getAttribute('data-lang') || '').toLowerCase();
  var LANG = STRINGS[wantLang] ? wantLang : /^fr\b/i.test(navigator.language || '') ? 'fr' : 'en';
  var L = STRINGS[LANG];
  var ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
  var EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
  var BACKOFF_START = 500, BACKOFF_CAP = 15000, BUSY_WAIT = 10000, ACK_TIMEOUT = 15000, SYNC_TIMEOUT = 15000;
  var HEALTHY = 10000; // a socket up this long after its replay starts the backoff over
  var MAX_TRIES = 4; // automatic resends of a message the rate limit dropped, before the visitor decides
  // White space as the server counts it (Python's str.isspace, behind its \S pattern): text with nothing else
  // is refused there, and that refusal names no message.
  var SPACE = '\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
  var FILLED = new RegExp('[^' + SPACE + ']'), TRAILING = new RegExp('[' + SPACE + ']+$');

  // Control characters (C0 and C1, but \n and \t) go, \r\n becomes \n, and lone surrogates become U+FFFD: each
  // control is 6 bytes once JSON-escaped (a frame over the server's 16 KiB closes the socket, 1009), and the
  // server refuses text that is not well formed.
  var MAX_FRAME = 16000;
  function clean(text) {
    text = String(text).replace(/\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, function (c) { return c === '\r\n' ? '\n' : ''; });
    return text.toWellFormed ? text.toWellFormed()
      : text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/g, '$1\ufffd');
  }
  function bytes(text) { return new Blob([text]).size; }

  function warn(text) {
    if (window.console) console.warn('chatsvc: ' + text);
  }

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return values[key] == null ? '' : String(values[key]); });
  }

  // --- storage: localStorage under chatsvc:<site>:, or memory when the browser refuses it -----------------
  var PREFIX = 'chatsvc:' + SITE + ':';
  var memory = {};
  // A value the browser refused to store lives in memory, and wins over the older one localStorage still holds.
  function sget(key) {
    if (key in memory) return memory[key];
    try { return localStorage.getItem(PREFIX + key); } catch (e) { return null; }
  }
  function sset(key, value) {
    try {
      if (value == null) localStorage.removeItem(PREFIX + key); else localStorage.setItem(PREFIX + key, value);
      delete memory[key];
    } catch (e) {
      memory[key] = value == null ? null : value;
    }
  }
  function jget(key, fallback) {
    try { var v = JSON.parse(sget(key)); return v == null ? fallback : v; } catch (e) { return fallback; }
  }
  function jset(key, value) { sset(key, value == null ? null : JSON.stringify(value)); }

  // --- events for the host page (Chatsvc.on) ----------------------------------------------------------------
  var handlers = {};
  function emit(name, detail) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  // --- state ---------------------------------------------------------------------------------------------
  var storedConv = sget('conv');
  var S = {
    config: null, built: false, open: false, token: sget('token'),
    conv: storedConv && ID_RE.test(storedConv) ? storedConv : null,
    last: 0, // highest seq shown for conv
    status: '', // '' (none) | bot | queued | assigned | closed
    agent: '', assigned: false, closedData: null, queue: null, menu: null,
    titles: {}, countable: [], seenAtLoad: jget('seen', {c: null, s: 0}), ident: jget('ident', null),
    online: false, everOnline: false, avail: null, unread: +sget('unread') || 0
  };
  // The visitor's messages not yet acknowledged, shared by the tabs: {c: client id, t: text, v: the conversation
  // it was typed in, or null when none was open}. One a tab discarded stays a minute as {c, t: '', d: when}, so
  // that the other tabs drop it too.
  function entries() {
    var now = Date.now();
    return jget('outbox', []).filter(function (m) {
      return m && typeof m.c === 'string' && typeof m.t === 'string' && !(m.d && now - m.d > 60000);
    });
  }
  var outbox = entries().filter(function (m) { return !m.d; });

  // --- small DOM helpers ----------------------------------------------------------------------------------
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    for (var key in attrs) {
      var v = attrs[key];
      if (v == null || v === false) continue;
      if (key === 'text') el.textContent = v;
      else if (key === 'cs') el.setAttribute('data-cs', v);
      else if (key === 'class') el.className = v;
      else if (key.slice(0, 2) === 'on') el.addEventListener(key.slice(2), v);
      else el.setAttribute(key, v === true ? '' : v);
    }
    if (kids) kids.forEach(function (k) { if (k != null) el.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return el;
  }
  var ICONS = {
    chat: 'M21 11.5a8.4 8.4 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.4 8.4 0 0 1-3.8-.9L3 21l1.9-5.7a8.4 8.4 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.4 8.4 0 0 1 3.8-.9h.5a8.5 8.5 0 0 1 8 8v.5z',
    down: 'M6 9l6 6 6-6', x: 'M18 6L6 18M6 6l12 12', send: 'M22 2L11 13M22 2l-7 20-4-9-9-4 20-7z',
    user: 'M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z',
    check: 'M20 6L9 17l-5-5', clock: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 6v6l4 2',
    alert: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM12 8v4M12 16h.01',
    star: 'M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8-6.2-3.2-6.2 3.2L7 14.2 2 9.3l6.9-1z',
    book: 'M4 19.5A2.5 2.5 0 0 1 6.5 17H20M6.5 2H20v20H6.5A2.5 2.5 0 0 1 4 19.5v-15A2.5 2.5 0 0 1 6.5 2z',
    mail: 'M4 4h16a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zM22 6l-10 7L2 6',
    spark: 'M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8zM19 15l.8 2.2L22 18l-2.2.8L19 21l-.8-2.2L16 18l2.2-.8z',
    right: 'M9 18l6-6-6-6', exit: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9'
  };
  function icon(name) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // Text with its web links made clickable; everything else stays text.
  function richText(el, text) {
    var re = /\bhttps?:\/\/[^\s<>"']+/g, at = 0, m;
    while ((m = re.exec(text))) {
      var url = m[0].replace(/[).,;:!?\]]+$/, '');
      if (m.index > at) el.appendChild(document.createTextNode(text.slice(at, m.index)));
      el.appendChild(link(url, url));
      at = m.index + url.length;
      re.lastIndex = at;
    }
    if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
    return el;
  }
  function safeUrl(value) {
    if (!value) return null;
    try {
      var u = new URL(value, BASE);
      return /^(https?|mailto):$/.test(u.protocol) ? u.href : null;
    } catch (e) {
      return null;
    }
  }
  function link(href, text) {
    var a = h('a', {href: href, target: '_blank', rel: 'noopener noreferrer'});
    if (text != null) a.textContent = text;
    return a;
  }

  // The server's sanitized article HTML, rebuilt from an allow-list: other elements give only their text.
  var KEEP = {P: 1, BR: 1, STRONG: 1, EM: 1, B: 1, I: 1, UL: 1, OL: 1, LI: 1, CODE: 1, PRE: 1, BLOCKQUOTE: 1, A: 1};
  var DROP = {SCRIPT: 1, STYLE: 1, TEMPLATE: 1, NOSCRIPT: 1, IFRAME: 1, OBJECT: 1, TITLE: 1, HEAD: 1};
  function safeHtml(html) {
    var out = document.createDocumentFragment();
    var doc = new DOMParser().parseFromString(String(html), 'text/html');
    copyAllowed(doc.body, out, 0);
    return out;
  }
  function copyAllowed(from, to, depth) {
    for (var n = from.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) {
        to.appendChild(document.createTextNode(n.data));
      } else if (n.nodeType === 1) {
        var tag = n.tagName.toUpperCase();
        if (DROP[tag]) continue;
        if (depth > 32) {
          to.appendChild(document.createTextNode(n.textContent));
        } else if (/^H[1-6]$/.test(tag)) {
          var strong = h('strong');
          copyAllowed(n, strong, depth + 1);
          to.appendChild(h('p', {}, [strong]));
        } else if (KEEP[tag]) {
          var href = tag === 'A' && safeUrl(n.getAttribute('href'));
          var el = tag === 'A' ? (href ? link(href) : h('span')) : h(tag.toLowerCase());
          copyAllowed(n, el, depth + 1);
          to.appendChild(el);
        } else {
          copyAllowed(n, to, depth + 1);
        }
      }
    }
  }

  // The time of an entry; with its date when it is not today's (a conversation resumed days later).
  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d)) d = new Date();
    var options = {hour: 'numeric', minute: '2-digit'};
    if (d.toDateString() !== new Date().toDateString()) { options.day = 'numeric'; options.month = 'short'; }
    try { return d.toLocaleString(LANG, options); } catch (e) { return d.toTimeString().slice(0, 5); }
  }

  function waitText(seconds) {
    if (seconds == null || isNaN(seconds)) return '';
    if (seconds <= 0) return L.waitNow;
    if (seconds < 60) return fmt(L.waitIs, {t: L.lessMin});
    if (seconds < 3600) return fmt(L.waitIs, {t: fmt(L.aboutMin, {n: Math.round(seconds / 60)})});
    return fmt(L.waitIs, {t: fmt(L.aboutHour, {n: Math.round(seconds / 3600)})});
  }

  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return 'w' + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  // --- colours: the site's, and an accent that keeps 4.5:1 on white -----------------------------------------
  function rgb(hex) { return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }); }
  function luminance(c) {
    var v = c.map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function contrast(a, b) {
    var x = luminance(a), y = luminance(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  function accentOf(hex) {
    var c = rgb(hex);
    // the log's background is #f7f8fa: darken the site colour until text in it reads there (and on white)
    for (var i = 0; i < 20 && contrast(c, [247, 248, 250]) < 4.6; i++) c = c.map(function (x) { return Math.round(x * 0.88); });
    return c;
  }

  // --- the view ----------------------------------------------------------------------------------------
  var CSS = [
    ':host{all:initial!important;display:block!important;position:fixed!important;top:0!important;left:0!important;',
    'width:0!important;height:0!important;z-index:2147483000!important;visibility:visible!important;opacity:1!important;',
    'transform:none!important;filter:none!important;contain:none!important;pointer-events:auto!important}',
    '.r{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:14px;',
    'line-height:20px;font-weight:400;font-style:normal;letter-spacing:normal;word-spacing:normal;text-transform:none;',
    'text-align:left;text-indent:0;direction:ltr;color:#1d2433;-webkit-font-smoothing:antialiased;',
    '-webkit-text-size-adjust:100%;text-size-adjust:100%;cursor:auto}',
    '.r *,.r *::before,.r *::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    'button,input,textarea{font-family:inherit;font-size:inherit;line-height:inherit;color:inherit;margin:0;',
    'letter-spacing:inherit;text-transform:none}',
    'button{background:none;border:0;padding:0;cursor:pointer;-webkit-appearance:none;appearance:none;text-align:inherit}',
    'button:disabled{cursor:default}',
    'svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;',
    'flex:none;display:block}',
    'a{color:inherit;text-decoration:underline}',
    ':focus{outline:none}',
    ':focus-visible{outline:2px solid var(--a);outline-offset:2px}',
    // launcher, badge and the preview of a new reply
    '.l{position:fixed;bottom:20px;right:20px;width:60px;height:60px;border-radius:30px;background:var(--c);color:var(--t);',
    'display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(16,24,40,.24),0 2px 6px rgba(16,24,40,.14);',
    'transition:transform .18s ease}',
    '.l:hover{transform:scale(1.06)}',
    '.l svg{width:28px;height:28px}',
    '.left .l{right:auto;left:20px}',
    '.bg{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;',
    'background:#c01c28;color:#fff;font-size:12px;line-height:22px;font-weight:700;text-align:center;box-shadow:0 0 0 2px #fff}',
    '.pv{position:fixed;bottom:92px;right:20px;width:300px;background:#fff;border-radius:14px;padding:12px 40px 12px 14px;',
    'box-shadow:0 10px 30px rgba(16,24,40,.2),0 2px 6px rgba(16,24,40,.08);cursor:pointer;animation:cs-in .22s ease-out}',
    '.left .pv{right:auto;left:20px}',
    '.pv b{display:block;font-size:13px;line-height:18px;margin-bottom:2px}',
    '.pv span{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden;overflow-wrap:anywhere;color:#344054}',
    '.pv button{position:absolute;top:8px;right:8px;width:28px;height:28px;border-radius:14px;display:flex;',
    'align-items:center;justify-content:center;color:#475467}',
    '.pv button:hover{background:#f2f4f7}.pv svg{width:16px;height:16px}',
    // the panel
    '.p{position:fixed;bottom:96px;right:20px;width:384px;height:680px;max-height:calc(100vh - 116px);display:flex;',
    'flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;overflow:clip;',
    'box-shadow:0 16px 48px rgba(16,24,40,.22),0 4px 12px rgba(16,24,40,.1);animation:cs-in .22s ease-out}',
    '.p,.pv{transform-origin:100% 100%}',
    '.left .p{right:auto;left:20px}',
    '.left .p,.left .pv{transform-origin:0 100%}',
    // grows from the launcher's corner: never outside its final box, even on a phone's full screen
    '@keyframes cs-in{from{opacity:0;transform:scale(.96)}to{opacity:1;transform:none}}',
    '@keyframes cs-fade{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}',
    '@keyframes cs-dot{0%,60%,100%{transform:none;opacity:.5}30%{transform:translateY(-3px);opacity:1}}',
    '@keyframes cs-spin{to{transform:rotate(360deg)}}',
    '@keyframes cs-pulse{0%{box-shadow:0 0 0 0 var(--rg)}70%{box-shadow:0 0 0 10px rgba(0,0,0,0)}100%{box-shadow:0 0 0 0 rgba(0,0,0,0)}}',
    '.hd{display:flex;align-items:center;gap:12px;padding:14px 10px 14px 16px;background:var(--c);color:var(--t);flex:none}',
    '.hd :focus-visible{outline-color:var(--t)}',
    '.ha{width:40px;height:40px;border-radius:20px;background:var(--hv);display:flex;align-items:center;',
    'justify-content:center;font-size:17px;font-weight:700;flex:none;text-transform:uppercase}',
    '.hi{flex:1;min-width:0}',
    '.hn{font-size:16px;line-height:22px;font-weight:700;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.hs{font-size:13px;line-height:18px;display:flex;align-items:center;gap:6px;white-space:nowrap;overflow:hidden}',
    '.hs i{width:8px;height:8px;border-radius:4px;flex:none;background:#98a2b3;box-shadow:0 0 0 2px var(--hv)}',
    '.hs i.on{background:#12b76a}',
    '.hs span{overflow:hidden;text-overflow:ellipsis}',
    '.ib{width:36px;height:36px;border-radius:18px;display:flex;align-items:center;justify-content:center;flex:none}',
    '.ib svg{width:22px;height:22px}',
    '.ib:hover{background:var(--hv)}',
    '.of{display:flex;align-items:center;gap:8px;padding:8px 16px;background:#fef0c7;color:#6b3a00;font-size:13px;',
    'line-height:18px;font-weight:500;flex:none}',
    '.sp{width:12px;height:12px;border-radius:6px;border:2px solid currentColor;border-right-color:transparent;',
    'animation:cs-spin .8s linear infinite;flex:none}',
    '.sc{flex:1;min-height:0;overflow-y:auto;padding:18px 16px 12px;background:#f7f8fa;overscroll-behavior:contain}',
    // messages
    '.m{display:flex;align-items:flex-end;gap:8px;margin-top:14px;animation:cs-fade .2s ease-out}',
    '.m.g{margin-top:4px}',
    '.m.g .au{display:none}.m.g .av{visibility:hidden}',
    '.m.v{flex-direction:row-reverse}',
    '.av{width:28px;height:28px;border-radius:14px;flex:none;display:flex;align-items:center;justify-content:center;',
    'font-size:12px;font-weight:700;background:var(--c);color:var(--t);text-transform:uppercase}',
    '.av svg{width:16px;height:16px}',
    '.b .av,.in .av{background:#eaecf0;color:#344054}',
    '.bd{max-width:80%;min-width:0;display:flex;flex-direction:column;align-items:flex-start}',
    '.v .bd{align-items:flex-end}',
    '.bd>[data-cs=text]{display:flex;flex-direction:column;align-items:flex-start;max-width:100%}',
    '.v .bd>[data-cs=text]{align-items:flex-end}',
    '.wide .bd,.wide .bd>[data-cs=text]{width:100%}',
    '.wide .bd{max-width:88%}',
    '.au{font-size:12px;line-height:16px;color:#56606d;margin:0 0 3px 4px;font-weight:500}',
    '.v .au{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}',
    '.bu{padding:9px 13px;border-radius:18px;background:#fff;border:1px solid #e4e7ec;white-space:pre-wrap;',
    'overflow-wrap:anywhere;word-break:break-word;max-width:100%;box-shadow:0 1px 2px rgba(16,24,40,.04)}',
    '.v .bu{background:var(--c);color:var(--t);border-color:var(--c);border-bottom-right-radius:6px}',
    '.a .bu,.b .bu,.in .bu{border-bottom-left-radius:6px}',
    '.tm{font-size:11px;line-height:16px;color:#56606d;margin:3px 4px 0;display:flex;align-items:center;gap:4px}',
    '.tm svg{width:12px;height:12px}',
    '.m[data-state=failed] .tm{color:#b42318;flex-wrap:wrap;justify-content:flex-end}',
    '.m[data-state=failed] .bu{opacity:.75}',
    '.rt{font-weight:700;text-decoration:underline;color:#b42318;font-size:12px;padding:0 2px}',
    '.sy{justify-content:center;text-align:center;margin-top:16px;margin-bottom:2px}',
    '.sy .bd{max-width:90%;align-items:center}',
    '.sy .bu{background:none;border:0;box-shadow:none;padding:0;font-size:12px;line-height:16px;color:#56606d;font-weight:500}',
    '.sy .tm{display:none}',
    // bot cards and buttons
    '.cd{margin-top:8px;background:#fff;border:1px solid #e4e7ec;border-radius:14px;overflow:hidden;width:100%;',
    'box-shadow:0 1px 2px rgba(16,24,40,.05);white-space:normal}',
    '.ct{display:flex;gap:8px;align-items:flex-start;padding:12px 14px 6px;font-weight:700;font-size:14px;line-height:20px}',
    '.ct svg{width:18px;height:18px;color:var(--a);margin-top:1px}',
    '.cb{padding:0 14px 12px;font-size:14px;line-height:21px;overflow-wrap:anywhere}',
    '.cd>.cb:first-child{padding-top:12px}',
    '.cb p,.cb ul,.cb ol,.cb pre,.cb blockquote{margin:0 0 8px}',
    '.cb>:last-child{margin-bottom:0}',
    '.cb ul,.cb ol{padding-left:20px}',
    '.cb code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;background:#f2f4f7;',
    'border-radius:4px;padding:1px 4px}',
    '.cb pre{background:#f2f4f7;border-radius:8px;padding:8px 10px;overflow-x:auto;white-space:pre}',
    '.cb pre code{background:none;padding:0}',
    '.cb blockquote{padding-left:10px;border-left:3px solid #d0d5dd;color:#475467}',
    '.cb a{color:var(--a)}',
    '.ac{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;width:100%}',
    '.ch{padding:7px 14px;border-radius:18px;background:#fff;border:1px solid var(--a);color:var(--a);font-weight:600;',
    'font-size:13px;line-height:18px;transition:background .15s,color .15s}',
    '.ch:hover{background:var(--a);color:#fff}',
    '.sg{display:flex;align-items:center;gap:10px;width:100%;padding:10px 12px;border-radius:12px;background:#fff;',
    'border:1px solid #e4e7ec;text-align:left;font-weight:600;font-size:13px;line-height:18px;transition:border-color .15s}',
    '.sg svg{width:18px;height:18px;color:var(--a)}.sg span{flex:1}',
    '.sg:hover{border-color:var(--a)}',
    // typing, queue, forms
    '.ty{display:flex;align-items:center;gap:8px;margin-top:12px;font-size:12px;line-height:16px;color:#56606d}',
    '.dt{display:flex;gap:3px;padding:10px 12px;background:#fff;border:1px solid #e4e7ec;border-radius:14px}',
    '.dt i{width:6px;height:6px;border-radius:3px;background:#667085;animation:cs-dot 1.2s infinite}',
    '.dt i:nth-child(2){animation-delay:.15s}.dt i:nth-child(3){animation-delay:.3s}',
    '.q{margin-top:14px;padding:14px;background:#fff;border:1px solid #e4e7ec;border-radius:14px;display:flex;gap:12px;',
    'align-items:center}',
    '.qp{width:40px;height:40px;border-radius:20px;background:var(--c);color:var(--t);font-weight:700;font-size:15px;',
    'display:flex;align-items:center;justify-content:center;flex:none;animation:cs-pulse 2s infinite}',
    '.q b{display:block;font-size:14px;line-height:20px}',
    '.q span{display:block;font-size:13px;line-height:18px;color:#475467}',
    '.q button{margin-top:4px;font-size:13px;font-weight:600;color:var(--a);text-decoration:underline}',
    '.fm{margin-top:14px;padding:16px;background:#fff;border:1px solid #e4e7ec;border-radius:14px;',
    'box-shadow:0 1px 2px rgba(16,24,40,.05);animation:cs-fade .2s ease-out}',
    '.fm h3{margin:0 0 4px;font-size:15px;line-height:20px;font-weight:700}',
    '.fm p{margin:0 0 12px;color:#475467;font-size:13px;line-height:18px}',
    '.fm label{display:block;font-size:12px;line-height:16px;font-weight:600;margin:0 0 4px;color:#344054}',
    '.fi{display:block;width:100%;padding:9px 11px;border:1px solid #b9c0ca;border-radius:8px;background:#fff;',
    'font-size:14px;line-height:20px;margin:0 0 10px}',
    '.fi:focus{border-color:var(--a);box-shadow:0 0 0 3px var(--rg)}',
    'textarea.fi{resize:vertical;min-height:76px}',
    '.pb{display:flex;align-items:center;justify-content:center;gap:8px;width:100%;padding:10px 14px;border-radius:10px;',
    'background:var(--c);color:var(--t);font-weight:600;font-size:14px;line-height:20px}',
    '.pb:hover{filter:brightness(.95)}.pb:disabled{opacity:.55;filter:none}',
    '.sb{display:block;width:100%;padding:8px;margin-top:6px;border-radius:10px;color:#475467;font-weight:600;font-size:13px;',
    'text-align:center}',
    '.sb:hover{background:#f2f4f7}',
    '.er{color:#b42318;font-size:12px;line-height:16px;margin:-4px 0 10px}',
    '.st{display:flex;gap:6px;margin:6px 0 14px}',
    '.sr{width:44px;height:44px;border-radius:10px;display:flex;align-items:center;justify-content:center;color:#667085;',
    'border:1px solid #d0d5dd;background:#fff;transition:transform .1s}',
    '.sr:hover{transform:scale(1.08)}',
    '.sr svg{width:24px;height:24px}',
    '.sr.on{color:#c4320a;border-color:#f79009;background:#fffaeb}.sr.on svg{fill:currentColor}',
    '.sq{font-size:13px;line-height:18px;font-weight:600;margin:0 0 6px}',
    '.sl{display:grid;gap:4px}',
    '.sl button{height:32px;border-radius:6px;border:1px solid #d0d5dd;background:#fff;font-size:12px;font-weight:600;',
    'text-align:center}',
    '.sl button:hover{border-color:var(--a)}',
    '.sl button.on{background:var(--c);color:var(--t);border-color:var(--c)}',
    '.se{display:flex;justify-content:space-between;font-size:11px;line-height:14px;color:#56606d;margin:4px 0 14px}',
    '.dn{display:flex;gap:10px;align-items:center;font-weight:600}',
    '.dn i{width:32px;height:32px;border-radius:16px;background:#dcfae6;color:#067647;display:flex;align-items:center;',
    'justify-content:center;flex:none}.dn svg{width:18px;height:18px}',
    '.dn span{flex:1;overflow-wrap:anywhere}',
    '.nc{margin-top:14px;background:#fff;color:var(--a);border:1px solid var(--a)}',
    '.nc:hover{background:var(--a);color:#fff;filter:none}',
    // the composer
    '.ft{flex:none;background:#fff;border-top:1px solid #eaecf0;padding:8px 12px 6px}',
    '.hm{display:inline-flex;align-items:center;gap:6px;padding:5px 12px 5px 10px;margin:0 0 8px;border-radius:16px;',
    'border:1px solid #d0d5dd;font-size:13px;line-height:18px;font-weight:600;color:#344054;background:#fff}',
    '.hm:hover{border-color:var(--a);color:var(--a)}.hm svg{width:16px;height:16px}',
    '.cw{display:flex;align-items:flex-end;gap:6px;border:1px solid #c4cad3;border-radius:22px;padding:3px 4px 3px 14px;',
    'transition:border-color .15s,box-shadow .15s}',
    '.cw:focus-within{border-color:var(--a);box-shadow:0 0 0 3px var(--rg)}',
    '.ta{flex:1;min-width:0;border:0;resize:none;background:transparent;padding:7px 0;font-size:15px;line-height:21px;',
    'height:35px;max-height:128px;overflow-y:auto;outline:none;box-shadow:none}',
    '.ta::placeholder{color:#667085;opacity:1}',
    '.sd{width:36px;height:36px;border-radius:18px;background:var(--c);color:var(--t);display:flex;align-items:center;',
    'justify-content:center;flex:none;transition:opacity .15s}',
    '.sd svg{width:18px;height:18px;margin-left:-2px}',
    '.sd:disabled{opacity:.45}',
    '.lm{font-size:12px;line-height:16px;color:#6b3a00;padding:4px 14px 0}',
    '.pw{font-size:11px;line-height:14px;text-align:center;color:#5d6673;padding:6px 0 0}',
    '@media (max-width:480px){.p{top:0;left:0;right:0;bottom:0;width:auto;height:auto;max-height:none;border-radius:0}',
    '.left .p{left:0}.o .l,.o .pv{display:none}.ta,.fi{font-size:16px}.pv{width:auto;left:16px;right:16px}}',
    '@media (prefers-reduced-motion:reduce){.r *{animation:none!important;transition:none!important}}'
  ].join('');

  var V = {}; // the view's elements
  var root;

  function build(config) {
    var look = config.look || {};
    var color = /^#[0-9a-f]{6}$/i.test(look.color || '') ? look.color : '#1f5fd1';
    var text = /^#[0-9a-f]{6}$/i.test(look.text_color || '') ? look.text_color : '#ffffff';
    var accent = accentOf(color);
    var darkText = luminance(rgb(text)) < 0.2;
    var siteName = (config.site && config.site.name) || '';

    var host = h('div', {id: 'chatsvc-widget'});
    var hs = host.style;
    ['all:initial', 'position:fixed', 'z-index:2147483000', 'top:0', 'left:0', 'width:0', 'height:0', 'display:block']
      .forEach(function (rule) { var kv = rule.split(':'); hs.setProperty(kv[0], kv[1], 'important'); });
    root = host.attachShadow({mode: 'open'});
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(h('style', {text: CSS}));
    }

    var r = V.root = h('div', {class: 'r' + (look.position === 'left' ? ' left' : '')});
    r.style.setProperty('--c', color);
    r.style.setProperty('--t', text);
    r.style.setProperty('--a', 'rgb(' + accent.join(',') + ')');
    r.style.setProperty('--rg', 'rgba(' + accent.join(',') + ',.22)');
    // the header's shade moves away from its text colour: the site's contrast only grows
    r.style.setProperty('--hv', darkText ? 'rgba(255,255,255,.32)' : 'rgba(0,0,0,.16)');

    // launcher
    V.badge = h('span', {class: 'bg', cs: 'badge', 'aria-hidden': 'true', hidden: true});
    V.launcher = h('button', {
      type: 'button', class: 'l', cs: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'cs-panel',
      'aria-label': L.open, onclick: function () { setOpen(!S.open, true); },
      onkeydown: function (e) { if (e.key === 'Escape' && S.open) setOpen(false, true); }
    }, [icon('chat'), V.badge]);
    V.previewName = h('b');
    V.previewText = h('span');
    V.preview = h('div', {class: 'pv', cs: 'preview', hidden: true, onclick: function () { setOpen(true, true); }}, [
      V.previewName, V.previewText,
      h('button', {type: 'button', 'aria-label': L.dismiss, onclick: function (e) {
        e.stopPropagation();
        V.preview.hidden = true;
      }}, [icon('x')])
    ]);

    // header
    V.dot = h('i');
    V.statusText = h('span', {text: L.connecting});
    V.endButton = h('button', {type: 'button', class: 'ib', cs: 'end-chat', hidden: true, 'aria-label': L.endChat,
      title: L.endChat, onclick: askEnd}, [icon('exit')]);
    var header = h('div', {class: 'hd'}, [
      h('div', {class: 'ha', 'aria-hidden': 'true', text: (siteName.trim()[0] || '?')}),
      h('div', {class: 'hi'}, [
        h('div', {class: 'hn', text: siteName}),
        h('div', {class: 'hs', cs: 'status', 'aria-live': 'polite'}, [V.dot, V.statusText])
      ]),
      V.endButton,
      h('button', {type: 'button', class: 'ib', cs: 'close-panel', 'aria-label': L.closeChat,
        onclick: function () { setOpen(false, true); }}, [icon('down')])
    ]);
    V.offline = h('div', {class: 'of', cs: 'offline', role: 'status', hidden: true}, [
      h('span', {class: 'sp', 'aria-hidden': 'true'}), h('span', {text: L.offline})
    ]);

    // greeting and the bot's first buttons
    var greeting = (config.greeting && typeof config.greeting[LANG] === 'string' && config.greeting[LANG].trim()) || L.greeting;
    V.introMenu = h('div', {class: 'ac', hidden: true});
    V.intro = h('div', {class: 'm b in wide'}, [
      h('div', {class: 'av', 'aria-hidden': 'true'}, [icon('spark')]),
      h('div', {class: 'bd'}, [h('div', {class: 'bu', text: greeting}), V.introMenu])
    ]);
    // busy until the stored conversation's replay ends: a screen reader would read the whole history out
    V.log = h('div', {cs: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': L.conversation, 'aria-busy': S.conv ? 'true' : null});

    // what follows the log
    V.typing = h('div', {class: 'ty', cs: 'typing', hidden: true}, [h('div', {class: 'dt', 'aria-hidden': 'true'}, [h('i'), h('i'), h('i')]), h('span')]);
    V.queuePos = h('div', {class: 'qp', 'aria-hidden': 'true'});
    V.queueLine = h('b');
    V.queueWait = h('span');
    V.queueLeave = h('button', {type: 'button', hidden: true, text: L.leaveOffer, onclick: function () { showLeave(true); }});
    V.queue = h('div', {class: 'q', cs: 'queue', role: 'status', hidden: true}, [
      V.queuePos, h('div', {}, [V.queueLine, V.queueWait, V.queueLeave])
    ]);
    V.tail = h('div', {}, [V.typing, V.queue]);
    V.scroll = h('div', {class: 'sc'}, [V.intro, V.log, V.tail]);

    // composer
    V.human = h('button', {type: 'button', class: 'hm', cs: 'human', onclick: askHuman}, [icon('user'), L.human]);
    V.input = h('textarea', {class: 'ta', cs: 'input', rows: '1', maxlength: '4000', placeholder: L.placeholder,
      'aria-label': L.message, oninput: onInput, onkeydown: onComposerKey});
    V.send = h('button', {type: 'button', class: 'sd', cs: 'send', 'aria-label': L.send, disabled: true,
      onclick: submitComposer}, [icon('send')]);
    V.composer = h('div', {class: 'cw'}, [V.input, V.send]);
    V.limit = h('div', {class: 'lm', cs: 'limit', role: 'status', hidden: true, text: L.limit});
    V.footer = h('div', {class: 'ft'}, [V.human, V.composer, V.limit, h('div', {class: 'pw', text: L.powered})]);

    V.panel = h('div', {id: 'cs-panel', class: 'p', cs: 'panel', role: 'dialog', 'aria-modal': 'false',
      'aria-label': fmt(L.dialog, {site: siteName}), hidden: true, onkeydown: onPanelKey},
    [header, V.offline, V.scroll, V.footer]);

    r.appendChild(V.panel);
    r.appendChild(V.preview);
    r.appendChild(V.launcher);
    root.appendChild(r);
    document.body.appendChild(host);
    S.built = true;
  }

  function scrollDown(force) {
    var sc = V.scroll;
    if (!sc) return;
    if (force || sc.scrollHeight - sc.scrollTop - sc.clientHeight < 160) {
      requestAnimationFrame(function () { sc.scrollTop = sc.scrollHeight; });
    }
  }

  // --- open / close ---------------------------------------------------------------------------------------
  function setOpen(open, byUser, fromOtherTab) {
    if (!S.built) { S.openAtStart = open; return; }
    if (S.open === open) return;
    S.open = open;
    if (!fromOtherTab) sset('open', open ? '1' : '0');
    V.panel.hidden = !open;
    V.root.classList.toggle('o', open);
    V.launcher.setAttribute('aria-expanded', String(open));
    V.launcher.replaceChild(icon(open ? 'down' : 'chat'), V.launcher.firstChild);
    V.preview.hidden = true;
    if (open) {
      if (!ws) connect();
      refreshAvailability();
      refresh();
      markRead();
      scrollDown(true);
      if (byUser) focusFirst();
    } else {
      hideConfirm();
      // focus was in the panel (Escape, the minimise button): give it to the launcher, never take it from the page
      if (byUser && root.activeElement) V.launcher.focus();
    }
    updateLauncherLabel();
    emit(open ? 'open' : 'close');
  }

  function focusFirst() {
    var target = V.prechat ? V.prechat.querySelector('input')
      : !V.footer.hidden ? V.input
      : (V.survey && V.survey.querySelector('button')) || V.newChat;
    if (target) target.focus();
  }

  // Runs fn, which may remove or hide the focused control (a pressed bot button, the composer of a chat that
  // ended): focus then goes to the composer, or to what replaced it, never to the host page's body.
  function keep(fn) {
    var had = root && root.activeElement;
    fn();
    if (had && S.open && !(had.isConnected && had.getClientRects().length)) focusFirst();
  }

  function onPanelKey(e) {
    if (e.key !== 'Escape' && e.key !== 'Esc') return;
    e.stopPropagation();
    if (V.confirm && !V.confirm.hidden) {
      hideConfirm();
      V.endButton.focus();
    } else {
      setOpen(false, true);
    }
  }

  // --- unread -------------------------------------------------------------------------------------------
  function visible() { return S.open && document.visibilityState !== 'hidden'; }

  function markRead() {
    if (!visible()) return;
    // the marker is shared: never backwards, and not during a replay (another tab would count it all unread)
    var read = jget('read', {c: null, s: 0});
    if (S.conv && ready && !syncing && (read.c !== S.conv || read.s < S.last)) jset('read', {c: S.conv, s: S.last});
    setUnread(0);
    sendRead();
  }

  // The agent's "seen" mark: at most once a second, and only when a newer agent or bot message is on screen.
  var readSent = {c: null, s: 0}, readAt = 0, readTimer = 0;
  function sendRead() {
    var newest = S.countable[S.countable.length - 1] || 0;
    if (!visible() || !S.conv || !ready || syncing || (readSent.c === S.conv && readSent.s >= newest)) return;
    var wait = readAt + 1000 - Date.now();
    if (wait > 0) {
      if (!readTimer) readTimer = setTimeout(function () { readTimer = 0; sendRead(); }, wait);
      return;
    }
    if (send({type: 'read', conversation: S.conv, seq: S.last})) { readSent = {c: S.conv, s: S.last}; readAt = Date.now(); }
  }

  // Where the visitor is, for the agent: after each welcome and on navigation within the page. Only what the
  // server accepts (an http(s) page, one-line title), so that it never answers with an error.
  function sendPage() {
    var url = String(location.href);
    if (!ready || url.length > 2048 || !/^https?:\/\/[^\u0000-\u0020\u007f-\u009f]+$/.test(url)) return;
    var frame = {type: 'page', url: url};
    var title = String(document.title || '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim().slice(0, 300).replace(/[\ud800-\udbff]$/, '');
    if (title) frame.title = title;
    var zone = '';
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* no Intl: none */ }
    if (/^[A-Za-z_+\-\/0-9]{1,64}$/.test(zone)) frame.timezone = zone;
    var lang = String(navigator.language || '');
    if (lang.length <= 35 && /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(lang)) frame.language = lang;
    send(frame);
  }

  function recountUnread() {
    if (visible()) return markRead();
    var read = jget('read', {c: null, s: 0});
    var from = read.c === S.conv ? read.s : 0;
    setUnread(S.countable.filter(function (seq) { return seq > from; }).length);
  }

  function setUnread(count, fromOtherTab) {
    if (count === S.unread && S.built && !V.badge.hidden === count > 0) return;
    var changed = count !== S.unread;
    S.unread = count;
    if (!fromOtherTab) sset('unread', String(count));
    if (S.built) {
      V.badge.textContent = count > 99 ? '99+' : String(count);
      V.badge.hidden = count === 0;
      updateLauncherLabel();
    }
    if (changed) emit('unread', {count: count});
  }

  function updateLauncherLabel() {
    V.launcher.setAttribute('aria-label', S.open ? L.closeChat : S.unread ? fmt(L.openUnread, {n: S.unread}) : L.open);
  }

  // --- the socket -------------------------------------------------------------------------------------------
  var ws = null, ready = false, attempt = 0, retryTimer = 0, gettingToken = false, stopped = false;
  var lastAction = null, badAuth = 0, actions = [], ackTimers = {}, healthy = 0, unwelcomed = 0, siteChecked = false;
  // The replay being waited for: {conv, sent (our sync frame, not the hello's replay), frames (another
  // conversation's, held back until we know ours ended), timer}.
  var syncing = null;

  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // An action button's frame: now when the socket is ready, else once it is (the first connection).
  function act(frame) {
    if (!ready) { actions.push(frame); if (!ws) connect(); return; }
    lastAction = frame.type;
    send(frame);
  }

  function getToken() {
    var stored = sget('token');
    if (stored && stored !== S.badToken) { S.token = stored; return Promise.resolve(stored); }
    return fetch(BASE + '/api/visitor/session?site=' + encodeURIComponent(SITE), {
      method: 'POST', mode: 'cors', credentials: 'omit', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({site: SITE})
    }).then(function (r) {
      if (r.status === 403 || r.status === 404) { var e = new Error('refused'); e.fatal = true; throw e; }
      if (!r.ok) throw new Error('session ' + r.status);
      return r.json();
    }).then(function (body) {
      // another tab may have got one meanwhile: one visitor per browser, so theirs wins
      var other = sget('token');
      S.token = other && other !== S.badToken ? other : body.token;
      if (S.token === body.token) sset('token', body.token);
      return S.token;
    });
  }

  function connect() {
    if (ws || stopped || gettingToken || !S.config) return;
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (!S.token || S.token === S.badToken) {
      gettingToken = true;
      getToken().then(function () {
        gettingToken = false;
        connect();
      }, function (e) {
        gettingToken = false;
        if (e && e.fatal) return fail();
        nextServer();
        unwelcome();
        retryLater();
      });
      return;
    }
    var sock;
    try { sock = new WebSocket(BASE.replace(/^http/, 'ws') + '/ws/visitor?site=' + encodeURIComponent(SITE)); } catch (e) { return fail(); }
    ws = sock;
    var token = sock.token = S.token;
    var helloTimer = setTimeout(function () { if (ws === sock && !sock.welcomed) sock.close(); }, 12000);
    sock.onopen = function () {
      var hello = {type: 'hello', token: token, v: 1, lang: LANG};
      if (S.conv && S.status !== 'closed') { hello.conversation = S.conv; hello.last_seq = S.last; }
      sock.send(JSON.stringify(hello));
    };
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      var frame;
      try { frame = JSON.parse(e.data); } catch (x) { return; }
      if (frame && typeof frame === 'object') onFrame(frame);
    };
    sock.onclose = function (e) {
      clearTimeout(helloTimer);
      if (ws === sock) lost(sock, e.code, e.reason);
    };
  }

  function lost(sock, code, reason) {
    ws = null;
    ready = false;
    if (syncing) clearTimeout(syncing.timer);
    syncing = null;
    clearTimeout(healthy);
    stopTyping(true);
    setOnline(false);
    if (code === 1008 && reason === 'unsupported_version') return fail();
    if (code === 1009 && sock.inFlight && find(sock.inFlight)) {
      setFlag(sock.inFlight, 1);
      markFailed(sock.inFlight);
    }
    if (code === 1008 && reason === 'unauthorized') {
      // the token is no good (expired, or another server's): a new visitor, a new conversation
      if (++badAuth > 3) return fail();
      S.badToken = sock.token;
      if (sget('token') === sock.token) sset('token', null);
      S.token = null;
      forgetConversation();
      return connect();
    }
    if (!sock.welcomed) unwelcome();
    if (code !== 1000) nextServer(); // failed, dropped, or this server is restarting (1012): try another one
    // many tabs told "too many" at once must not all come back at the same moment
    retryLater(code === 1013 && reason === 'too_many_connections' ? BUSY_WAIT * (1 + Math.random()) : 0);
  }

  // Another try that never got as far as a welcome. After a few, ask for the site's config once: a handshake
  // refused with 403 (the page's origin was taken off the site's list) looks like any broken line from here.
  function unwelcome() {
    if (++unwelcomed < 4 || siteChecked) return;
    siteChecked = true;
    askConfig(function () {}, function () { sayRefused(); fail(); }, function () {});
  }

  function retryLater(atLeast) {
    if (stopped || retryTimer) return;
    var ceiling = Math.min(BACKOFF_CAP, BACKOFF_START * Math.pow(2, attempt++));
    var delay = Math.max(atLeast || 0, ceiling / 2 + Math.random() * ceiling / 2);
    retryTimer = setTimeout(function () { retryTimer = 0; connect(); }, delay);
    refresh();
  }

  // Let the socket go without its close handling (a new one is opened on purpose, or the page is put away).
  function drop() {
    var old = ws;
    if (!old) return;
    ws = null;
    ready = false;
    if (syncing) clearTimeout(syncing.timer);
    syncing = null;
    old.onclose = null;
    old.close(1000);
  }

  // A new socket at once, without the offline state (the old one is dropped on purpose).
  function restartSocket() {
    drop();
    connect();
  }

  function reconnectNow() {
    if (ws || stopped || !S.config) return;
    attempt = 0;
    clearTimeout(retryTimer);
    retryTimer = 0;
    connect();
  }

  function fail() {
    stopped = true;
    S.failed = true;
    if (S.built) V.log.removeAttribute('aria-busy');
    setOnline(false);
    refresh();
  }

  function setOnline(online) {
    if (online) S.everOnline = true;
    if (S.online === online) return refresh();
    S.online = online;
    refresh();
    emit('connection', {online: online});
  }

  // A frame of another conversation while ours seems open.
  function foreign(f) {
    return !!S.conv && S.status !== 'closed' && typeof f.conversation === 'string' && f.conversation !== S.conv;
  }

  function onFrame(f) {
    var type = f.type;
    if ((type === 'event' || type === 'ack' || type === 'queue') && foreign(f)) {
      // A visitor has one open conversation: ours must have ended, but its `closed` may come after the new
      // one's first events (a replay from storage against a notice through the broker). Hold them back, ask
      // for the rest of ours, then switch.
      if (!syncing) {
        if (!ready || type === 'queue') return;
        startSync(S.conv, true);
      }
      syncing.frames.push(f);
      return;
    }
    switch (type) {
      case 'welcome': return onWelcome(f);
      case 'event': return onEvent(f);
      case 'ack': return onAck(f);
      case 'synced': if (syncing && f.conversation === syncing.conv) endSync(); return;
      case 'queue': return onQueue(f);
      case 'typing': return onTyping(f);
      case 'error': return onError(f);
      case 'rated': return onRated(f);
    }
  }

  function onWelcome(f) {
    ws.welcomed = true;
    unwelcomed = 0;
    siteChecked = false;
    badAuth = 0;
    S.menu = Array.isArray(f.menu) ? f.menu : S.status ? S.menu : null;
    setOnline(true);
    var open = Array.isArray(f.conversations) && f.conversations[0];
    if (open && ID_RE.test(open.id)) {
      if (open.id !== S.conv) resetConversation(open.id);
      S.status = open.status;
      if (open.agent && open.status === 'assigned') S.agent = open.agent.name;
      startSync(open.id, false); // the replay after hello ends with synced
    } else if (S.conv && S.status !== 'closed') {
      // closed while we were away (or not ours any more): ask for what is left of it
      startSync(S.conv, true);
    } else {
      onReady();
    }
    renderIntroMenu();
    refresh();
  }

  function startSync(conv, sent) {
    syncing = {conv: conv, sent: sent, frames: [], timer: setTimeout(syncLate, SYNC_TIMEOUT)};
    if (sent) send({type: 'sync', conversation: conv, after_seq: S.last});
  }

  // The replay ended; gone: the conversation is not this visitor's (any more), or it never answered.
  function endSync(gone) {
    var sync = syncing;
    syncing = null;
    clearTimeout(sync.timer);
    // another conversation's events while ours still looks open: ours ended all the same
    var other = sync.frames.some(function (f) { return f.type === 'event' && foreign(f); });
    if (gone || other) forgetConversation();
    sync.frames.forEach(function (f) { if (f.type === 'ack') onAck(f); else if (f.type === 'queue') onQueue(f); else onEvent(f); });
    if (!ready) onReady();
  }

  function syncLate() {
    if (ready) return endSync(true); // the check after another conversation's events: ours is over
    var sock = ws; // the first replay never ended: a new socket, later
    if (!sock) return;
    sock.onclose = null;
    sock.close();
    lost(sock, 0, '');
  }

  function onReady() {
    ready = true;
    V.log.removeAttribute('aria-busy');
    var sock = ws;
    clearTimeout(healthy);
    healthy = setTimeout(function () { if (ws === sock && ready) attempt = 0; }, HEALTHY);
    var identity = S.ident;
    if (identity && S.identifiedWith !== S.token) {
      S.identifiedWith = S.token;
      sendIdentity(identity);
    }
    outbox.forEach(transmit);
    var queued = actions;
    actions = [];
    queued.forEach(function (frame) { lastAction = frame.type; send(frame); });
    sendPage(); // after the replay that follows the welcome, so no error can be taken for the replay's answer
    readSent = {c: null, s: 0}; // a new socket: say again how far the visitor has read
    recountUnread();
    refresh();
  }

  function sendIdentity(identity) {
    var frame = {type: 'identify'};
    if (identity.name) frame.name = identity.name;
    if (identity.email) frame.email = identity.email;
    if (frame.name || frame.email) send(frame);
  }

  // --- conversation state ------------------------------------------------------------------------------------
  // Show conversation id (null: none, the greeting) from its start.
  function resetConversation(id) {
    clearLog();
    S.conv = id;
    S.last = 0;
    S.status = id ? 'bot' : '';
    S.agent = '';
    S.assigned = false;
    S.spoke = false;
    S.closedData = null;
    S.queue = null;
    S.countable = [];
    S.leaveShown = false;
    sset('conv', id);
    sset('done', null);
  }

  function forgetConversation() {
    resetConversation(null);
    setUnread(0);
    refresh();
  }

  function clearLog() {
    if (S.built) keep(function () {
      Array.prototype.slice.call(V.log.children).forEach(function (el) { if (!el.hasAttribute('data-pending')) el.remove(); });
      V.actions = null;
      V.lastEntry = null;
      [V.survey, V.surveyDone, V.newChat, V.leave, V.leaveDone, V.confirm].forEach(function (el) { if (el) el.remove(); });
      V.survey = V.surveyDone = V.newChat = V.leave = V.leaveDone = V.confirm = null;
      hideTyping();
    });
  }

  function setStatus(status) {
    S.status = status;
    if (status !== 'bot') removeActions();
  }

  function onEvent(f) {
    if (typeof f.seq !== 'number' || typeof f.conversation !== 'string') return;
    if (f.conversation !== S.conv) {
      if (S.conv && S.status !== 'closed' && S.status !== '') return;
      resetConversation(f.conversation);
    }
    if (f.seq <= S.last) return;
    S.last = f.seq;
    var isNew = S.seenAtLoad.c !== S.conv || f.seq > S.seenAtLoad.s;
    var seen = jget('seen', {c: null, s: 0});
    if (seen.c !== S.conv || seen.s < f.seq) jset('seen', {c: S.conv, s: f.seq});
    var stick = nearBottom();
    removeActions();
    var author = f.author || {};
    var data = f.data && typeof f.data === 'object' ? f.data : {};
    var role = author.role === 'visitor' ? 'visitor' : author.role === 'bot' ? 'bot' : author.role === 'system' ? 'system' : 'agent';
    var name = typeof author.name === 'string' ? author.name : '';
    switch (f.kind) {
      case 'opened':
        setStatus('bot');
        break;
      case 'message':
        if (role === 'agent' || role === 'bot') hideTyping();
        if (role === 'visitor' && f.client_id && pending[f.client_id]) commitPending(f);
        else entry(role, name, f.text || '', f, role === 'visitor' ? 'sent' : null);
        if (role === 'visitor' && f.client_id) { seenIds[f.client_id] = 1; forgetSent(f.client_id); }
        if (role === 'agent') {
          S.spoke = true; // a person wrote in this chat: the survey may follow its end
          S.countable.push(f.seq);
          if (isNew && !visible()) showPreview(name, f.text || '');
        }
        if (isNew) emit('message', {role: role, author: name, text: f.text || ''});
        break;
      case 'bot':
        renderBot(f, name, data);
        S.countable.push(f.seq);
        if (isNew) emit('message', {role: 'bot', author: name, text: f.text || ''});
        break;
      case 'choice':
        var said = f.text || (data.article && S.titles[data.article]);
        if (said) entry('visitor', L.you, said, f, 'sent');
        break;
      case 'feedback':
        entry('visitor', L.you, data.helpful ? L.yesSaid : L.noSaid, f, 'sent');
        break;
      case 'queued':
        setStatus('queued');
        entry('system', '', L.queued, f);
        break;
      case 'assigned':
      case 'transferred':
        setStatus('assigned');
        S.assigned = true;
        S.queue = null;
        S.agent = data.agent_name || S.agent;
        entry('system', '', fmt(f.kind === 'assigned' ? L.joined : L.transferred, {name: S.agent}), f);
        break;
      case 'requeued':
        setStatus('queued');
        var gone = S.agent;
        S.agent = '';
        entry('system', '', gone ? fmt(L.left, {name: gone}) : L.requeued, f);
        break;
      case 'closed':
        setStatus('closed');
        S.closedData = data;
        S.queue = null;
        sset('done', S.conv);
        hideTyping();
        entry('system', '', data.resolution === 'ticket' ? L.ticket : role === 'visitor' ? L.endedYou
          : role === 'agent' ? fmt(L.endedBy, {name: name}) : L.ended, f);
        afterClose();
        break;
    }
    if (ready) recountUnread();
    refresh();
    scrollDown(stick);
  }

  function showPreview(name, text) {
    V.previewName.textContent = name;
    V.previewText.textContent = text;
    V.preview.hidden = false;
  }

  function nearBottom() {
    var sc = V.scroll;
    return sc && sc.scrollHeight - sc.scrollTop - sc.clientHeight < 160;
  }

  // One entry of the log.
  function entry(role, name, text, f, state, unplaced) {
    var cls = {visitor: 'v', agent: 'a', bot: 'b', system: 'sy'}[role];
    if (role === 'visitor') name = L.you;
    var bubble = h('div', {class: 'bu', hidden: !text});
    if (text) richText(bubble, text);
    var time = h('time', {cs: 'time', datetime: f && f.at, text: clock(f && f.at)});
    var meta = h('div', {class: 'tm'}, [time]);
    var body = h('div', {class: 'bd'}, [
      role !== 'system' ? h('div', {class: 'au', cs: 'author', text: role === 'visitor' ? L.you : name}) : null,
      h('div', {cs: 'text'}, [bubble]),
      meta
    ]);
    var avatar = role === 'system' || role === 'visitor' ? null : h('div', {class: 'av', 'aria-hidden': 'true'},
      role === 'bot' ? [icon('spark')] : [Array.from(name.trim())[0] || '?']);
    var el = h('div', {class: 'm ' + cls, cs: 'msg', 'data-role': role}, [avatar, body]);
    if (f) el.setAttribute('data-seq', String(f.seq));
    var prev = V.lastEntry;
    if (prev && role !== 'system' && prev.getAttribute('data-role') === role && prev._name === name &&
        f && prev._at && Date.parse(f.at) - prev._at < 180000) el.classList.add('g');
    el._name = name;
    el._at = f ? Date.parse(f.at) : Date.now();
    el._meta = meta;
    el._bubble = bubble;
    if (state) setState(el, state);
    if (!unplaced) placeCommitted(el);
    return el;
  }

  function placeCommitted(el) {
    V.log.insertBefore(el, V.log.querySelector('[data-pending]'));
    V.lastEntry = el;
  }

  // state: sending, sent, failed (Retry), held: typed in a chat that ended before it went (Send in a new chat), or
  // toolong: its frame would be over the server's limit (Discard only).
  function setState(el, state, id) {
    keep(function () {
      el.setAttribute('data-state', state === 'held' || state === 'toolong' ? 'failed' : state);
      var meta = el._meta;
      while (meta.childNodes.length > 1) meta.removeChild(meta.lastChild);
      if (state === 'sending') {
        meta.appendChild(icon('clock'));
        meta.appendChild(h('span', {text: L.sending}));
      } else if (state === 'sent') {
        meta.appendChild(h('span', {'aria-label': L.sent, role: 'img'}, [icon('check')]));
      } else {
        var held = state === 'held';
        meta.appendChild(icon('alert'));
        meta.appendChild(h('span', {text: held ? L.notSentEnded : state === 'toolong' ? L.tooLong : L.failed}));
        if (state !== 'toolong') meta.appendChild(h('button', {type: 'button', class: 'rt', cs: held ? 'send-new' : 'retry', text: held ? L.sendNew : L.retry,
          onclick: function () { (held ? sendNew : retry)(id); }}));
        meta.appendChild(h('button', {type: 'button', class: 'rt', cs: 'discard', text: L.discard, onclick: function () { discard(id); }}));
      }
    });
  }

  function renderBot(f, name, data) {
    var el = entry('bot', name, f.text || '', f);
    var text = el._bubble.parentNode, body = text.parentNode;
    var articles = Array.isArray(data.articles) ? data.articles : [];
    articles.forEach(function (a) { if (a && a.id && a.title) S.titles[a.id] = a.title; });
    if (data.move === 'answer') {
      articles.forEach(function (a) {
        body.insertBefore(card(a.title, a.html != null ? safeHtml(a.html) : document.createTextNode(a.text || '')), el._meta);
      });
    } else if (data.move === 'canned' && data.canned) {
      var canned = data.canned.html != null ? safeHtml(data.canned.html) : document.createTextNode(data.canned.text || '');
      body.insertBefore(card(null, canned), text);
    }
    if (articles.length || data.canned) el.classList.add('wide');
    if (S.status !== 'bot' && S.status !== '') return;
    var row = h('div', {class: 'ac'});
    if (data.move === 'suggest') {
      articles.forEach(function (a) {
        row.appendChild(h('button', {type: 'button', class: 'sg', cs: 'suggestion', 'data-article': a.id, onclick: function () {
          removeActions(); // the composer takes the focus
          act({type: 'choose', article: a.id});
        }}, [icon('book'), h('span', {text: a.title}), icon('right')]));
      });
    }
    var items = data.move === 'menu' ? data.menu : data.move === 'no_answer' ? S.menu : null;
    if (Array.isArray(items)) items.forEach(function (item) { row.appendChild(menuButton(item)); });
    if (data.ask_feedback) {
      row.appendChild(h('button', {type: 'button', class: 'ch', cs: 'yes', text: L.yes, onclick: function () {
        removeActions();
        act({type: 'feedback', helpful: true});
      }}));
      row.appendChild(h('button', {type: 'button', class: 'ch', cs: 'no', text: L.no, onclick: function () {
        removeActions();
        act({type: 'feedback', helpful: false});
        // a person was asked for and none can answer now: the form at once, not after a wait in the queue
        if (S.avail && S.avail.leave_message) showLeave(true);
      }}));
    }
    if (row.firstChild) {
      el.classList.add('wide');
      body.insertBefore(row, el._meta);
      V.actions = row;
    }
  }

  function removeActions() {
    if (V.actions) keep(function () { V.actions.remove(); V.actions = null; });
  }

  function card(title, body) {
    return h('div', {class: 'cd', cs: 'card'}, [
      title ? h('div', {class: 'ct'}, [icon('book'), h('span', {cs: 'card-title', text: title})]) : null,
      h('div', {class: 'cb', cs: 'card-body'}, [body])
    ]);
  }

  function menuButton(item) {
    return h('button', {type: 'button', class: 'ch', cs: 'menu-item', 'data-item': item.id, text: item.label, onclick: function () {
      keep(function () {
        removeActions();
        V.introMenu.hidden = true;
      });
      act({type: 'menu', item: item.id});
    }});
  }

  function renderIntroMenu() {
    if (!S.built) return;
    var menu = V.introMenu;
    while (menu.firstChild) menu.removeChild(menu.firstChild);
    (S.menu || []).forEach(function (item) { if (item && item.id) menu.appendChild(menuButton(item)); });
    menu.hidden = !menu.firstChild || !!S.conv;
  }

  // --- the visitor's own messages: outbox, pending entries, acks ---------------------------------------------
  var pending = {}; // client_id -> entry element not yet committed
  var tries = {}; // client_id -> automatic resends after the rate limit dropped frames
  var seenIds = {}; // client ids of the visitor's messages shown committed
  var resendTimer = 0, resendDelay = 0;

  function saveOutbox(change) {
    // merge with what other tabs stored meanwhile: each tab only adds or removes its own ids
    jset('outbox', change(entries()));
  }

  function find(id) {
    return outbox.filter(function (m) { return m.c === id; })[0];
  }

  // Typed in a conversation that has ended since: sent now, it would open a new one (and wipe the ended one).
  function stale(item) {
    return !!item.x || (!!item.v && (item.v !== S.conv || S.status === 'closed'));
  }

  function submitComposer() {
    var text = clean(V.input.value).replace(TRAILING, '');
    if (!FILLED.test(text)) return;
    V.input.value = '';
    onInput();
    stopTyping();
    sendText(clean(text.slice(0, 4000))); // no half of a pair cut at 4000: the server refuses it
    V.input.focus();
  }

  function sendText(text) {
    // the conversation it is typed in; none when the one shown is known to have ended (a new chat, then)
    var item = {c: newId(), t: text, v: S.status !== 'closed' && S.conv !== sget('done') && S.conv || null};
    if (bytes(JSON.stringify({type: 'message', client_id: item.c, text: text})) > MAX_FRAME) {
      // would close the socket (1009) on every try: shown as not sent, never in the outbox
      showPending(item);
      setState(pending[item.c], 'toolong', item.c);
      return scrollDown(true);
    }
    outbox.push(item);
    saveOutbox(function (stored) { stored.push(item); return stored; });
    showPending(item);
    scrollDown(true);
    if (ready) transmit(item); else if (!ws) connect();
  }

  function showPending(item) {
    if (pending[item.c]) return;
    var el = entry('visitor', L.you, item.t, null, null, true);
    el.setAttribute('data-pending', '');
    V.log.appendChild(el);
    pending[item.c] = el;
    setState(el, 'sending', item.c);
  }

  function transmit(item) {
    if (stale(item) || item.f) return markFailed(item.c);
    var el = pending[item.c];
    if (el) setState(el, 'sending', item.c);
    if (!send({type: 'message', client_id: item.c, text: clean(item.t)})) return;
    ws.inFlight = item.c;
    clearTimeout(ackTimers[item.c]);
    ackTimers[item.c] = setTimeout(function () { if (pending[item.c] && ready) markFailed(item.c); }, ACK_TIMEOUT);
  }

  function retry(id) {
    var item = find(id);
    if (!item) return;
    delete tries[id];
    if (item.f) setFlag(id, 0);
    if (ready) transmit(item);
    else { setState(pending[id], 'sending', id); if (!ws) reconnectNow(); }
  }

  // The visitor sends a message held back from a chat that ended: in a new chat (or the one open now).
  function sendNew(id) {
    var item = find(id);
    if (!item) return;
    if (S.status === 'closed') startNewChat();
    item.v = S.conv;
    item.x = 0;
    saveOutbox(function (stored) {
      stored.forEach(function (m) { if (m.c === id) m.v = item.v; });
      return stored;
    });
    retry(id);
  }

  function discard(id) {
    forget(id);
    saveOutbox(function (stored) {
      return stored.map(function (m) { return m.c === id ? {c: id, t: '', d: Date.now()} : m; });
    });
  }

  // Not to be sent from here any more (discarded, here or in another tab).
  function forget(id) {
    var el = pending[id];
    delete pending[id];
    clearTimeout(ackTimers[id]);
    outbox = outbox.filter(function (m) { return m.c !== id; });
    if (el) keep(function () { el.remove(); });
    refresh();
  }

  // The socket closed 1009 (frame too big) after this one went: failed, and not sent again without a Retry.
  function setFlag(id, on) {
    var item = find(id);
    if (item) item.f = on;
    saveOutbox(function (stored) {
      stored.forEach(function (m) { if (m.c === id) m.f = on; });
      return stored;
    });
  }

  function markFailed(id) {
    clearTimeout(ackTimers[id]);
    var item = find(id);
    if (pending[id]) setState(pending[id], item && stale(item) ? 'held' : 'failed', id);
  }

  // The server dropped frames over its rate (rate_limited names none of them): every message not acknowledged
  // goes again, in order and with its client id, after a pause that doubles while it goes on. One sent in vain
  // MAX_TRIES times waits for the visitor (Retry, Discard).
  function resendLater() {
    if (resendTimer) return;
    resendDelay = Math.min(resendDelay * 2 || 1200, 20000);
    resendTimer = setTimeout(function () {
      resendTimer = 0;
      if (!ready) return; // the next welcome sends them all
      var again = outbox.filter(function (m) {
        return pending[m.c] && pending[m.c].getAttribute('data-state') === 'sending' && !stale(m);
      });
      again.forEach(function (m) {
        if ((tries[m.c] = (tries[m.c] || 0) + 1) > MAX_TRIES) markFailed(m.c); else transmit(m);
      });
      if (again.length) resendLater(); else resendDelay = 0;
    }, resendDelay);
  }

  // A message of ours that another tab sent: no tab needs to send it again.
  function forgetSent(id) {
    if (jget('outbox', []).some(function (m) { return m && m.c === id; })) dropFromOutbox(id);
  }

  function dropFromOutbox(id) {
    clearTimeout(ackTimers[id]);
    delete tries[id];
    outbox = outbox.filter(function (m) { return m.c !== id; });
    saveOutbox(function (stored) { return stored.filter(function (m) { return m.c !== id; }); });
  }

  // Another tab changed the outbox: its new messages show here as pending, and go from here too when this tab is
  // connected (the server keeps one per client id); the ones it discarded go away here as well.
  function adoptOutbox() {
    entries().forEach(function (m) {
      var mine = find(m.c);
      if (m.d) return mine && forget(m.c);
      if (mine) { mine.v = m.v; return; }
      if (seenIds[m.c]) return;
      outbox.push(m);
      showPending(m);
      scrollDown(nearBottom());
      if (ready) transmit(m); else if (!ws) connect();
    });
  }

  function onAck(f) {
    if (typeof f.client_id !== 'string') return;
    dropFromOutbox(f.client_id);
    var el = pending[f.client_id];
    if (el) {
      setState(el, 'sent');
      el.setAttribute('data-seq', String(f.seq));
    }
  }

  // The event of one of our pending messages: it takes its place in the log.
  function commitPending(f) {
    var el = pending[f.client_id];
    delete pending[f.client_id];
    dropFromOutbox(f.client_id);
    el.removeAttribute('data-pending');
    el.setAttribute('data-seq', String(f.seq));
    el._at = Date.parse(f.at);
    el._meta.firstChild.setAttribute('datetime', f.at);
    el._meta.firstChild.textContent = clock(f.at);
    var prev = V.lastEntry;
    el.classList.toggle('g', !!(prev && prev.getAttribute('data-role') === 'visitor' && el._at - prev._at < 180000));
    setState(el, 'sent');
    placeCommitted(el);
  }

  // --- typing, both ways -------------------------------------------------------------------------------------
  var typingOn = false, typingSentAt = 0, typingStop = 0, typingHide = 0;

  function fit() {
    var ta = V.input;
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 128) + 'px';
    V.send.disabled = !FILLED.test(ta.value);
    V.limit.hidden = ta.value.length < 4000; // a longer paste was cut by maxlength: say so
  }

  function onInput() {
    var ta = V.input;
    fit();
    if (!ta.value) return stopTyping();
    if (!ready || !S.conv || S.status === 'closed') return;
    var now = Date.now();
    if (!typingOn || now - typingSentAt > 4000) {
      typingOn = true;
      typingSentAt = now;
      send({type: 'typing', active: true});
    }
    clearTimeout(typingStop);
    typingStop = setTimeout(stopTyping, 3000);
  }

  function stopTyping(silent) {
    clearTimeout(typingStop);
    if (!typingOn) return;
    typingOn = false;
    if (!silent) send({type: 'typing', active: false});
  }

  function onComposerKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitComposer();
    }
  }

  function onTyping(f) {
    if (f.conversation !== S.conv || !f.who || f.who.role === 'visitor') return;
    clearTimeout(typingHide);
    if (!f.active) return hideTyping();
    V.typing.lastChild.textContent = fmt(L.typing, {name: f.who.name || ''});
    var stick = nearBottom();
    V.typing.hidden = false;
    scrollDown(stick);
    typingHide = setTimeout(hideTyping, 8000);
  }

  function hideTyping() {
    clearTimeout(typingHide);
    if (V.typing) V.typing.hidden = true;
  }

  // --- queue -----------------------------------------------------------------------------------------------
  function onQueue(f) {
    if (f.conversation !== S.conv) return;
    S.queue = {position: +f.position || 0, wait: f.estimated_wait, agents: +f.agents_online || 0};
    if (S.queue.agents === 0 && !S.leaveShown) showLeave(false);
    refresh();
    scrollDown(nearBottom());
  }

  // Queued while nobody can answer (leave_message): the form takes the queue card's place, with a line saying
  // why; the card comes back when a queue frame says someone is online.
  function renderQueue() {
    var q = S.queue;
    var formFirst = S.status === 'queued' && !!(S.avail && S.avail.leave_message) && !(q && q.agents > 0);
    if (formFirst && !S.leaveShown) showLeave(false);
    if (V.leaveWhy) V.leaveWhy.hidden = S.status !== 'queued';
    V.queue.hidden = !(q && S.status === 'queued') || (formFirst && !!(V.leave || V.leaveDone));
    if (V.queue.hidden) return;
    V.queuePos.textContent = '#' + q.position;
    V.queueLine.textContent = q.position <= 1 ? L.queueNext : fmt(L.queue, {n: q.position});
    V.queueWait.textContent = q.agents === 0 ? L.nobody : waitText(q.wait);
    var leaving = (q.agents === 0 || (S.avail && S.avail.leave_message)) && !(V.leave || V.leaveDone);
    V.queueLeave.hidden = !leaving;
  }

  // --- talk to a person, leave a message ---------------------------------------------------------------------
  function refreshAvailability() {
    return fetch(BASE + '/api/visitor/availability?site=' + encodeURIComponent(SITE), {mode: 'cors', credentials: 'omit', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (a) { if (a) { S.avail = a; refresh(); } return S.avail; }, function () { return S.avail; });
  }

  function askHuman() {
    if (root.activeElement === V.human) V.input.focus(); // the button waits, then goes: the composer keeps the focus
    V.human.disabled = true;
    var done = false;
    function decide(avail) {
      if (done) return;
      done = true;
      V.human.disabled = false;
      if (avail && avail.leave_message) showLeave(true);
      else act({type: 'handoff'});
    }
    refreshAvailability().then(decide);
    setTimeout(function () { decide(S.avail); }, 3000);
  }

  function field(label, input) {
    var id = 'cs-' + newId();
    input.id = id;
    return [h('label', {for: id, text: label}), input];
  }

  function showLeave(focus) {
    S.leaveShown = true;
    if (V.leaveDone) return;
    if (!V.leave) {
      var ident = S.ident || {};
      var name = h('input', {class: 'fi', name: 'name', type: 'text', maxlength: '120', autocomplete: 'name', value: ident.name || null});
      var email = h('input', {class: 'fi', name: 'email', type: 'email', maxlength: '254', autocomplete: 'email', required: true, value: ident.email || null});
      var message = h('textarea', {class: 'fi', name: 'message', maxlength: '4000', required: true, rows: '4'});
      message.value = lastVisitorText();
      var error = h('div', {class: 'er', role: 'alert', hidden: true});
      var button = h('button', {type: 'submit', class: 'pb', cs: 'leave-send'}, [icon('mail'), L.leaveSend]);
      var clientId = newId();
      V.leave = h('form', {class: 'fm', cs: 'leave-form', novalidate: true, onsubmit: function (e) {
        e.preventDefault();
        // the page's address without its query and fragment: they may hold a reset link's token, an OAuth answer...
        var body = {site: SITE, email: clean(email.value).trim(), message: clean(message.value).trim(), lang: LANG, client_id: clientId,
          page_url: (location.origin + location.pathname).slice(0, 2048)};
        var who = clean(name.value).replace(/\s+/g, ' ').trim();
        if (who) body.name = clean(who.slice(0, 120));
        if (S.token) body.token = S.token;
        error.hidden = true;
        if (!EMAIL_RE.test(body.email)) return showError(email, L.badEmail);
        if (!body.message) return showError(message, L.needMessage);
        button.disabled = true;
        fetch(BASE + '/api/visitor/tickets?site=' + encodeURIComponent(SITE), {
          method: 'POST', mode: 'cors', credentials: 'omit', headers: {'Content-Type': 'application/json'},
          body: JSON.stringify(body)
        }).then(function (r) {
          return r.json().then(function (j) { return [r.status, j]; }, function () { return [r.status, {}]; });
        }).then(function (answer) {
          button.disabled = false;
          if (answer[0] === 201) return leaveSent(body);
          var code = answer[1] && answer[1].error;
          if (answer[0] === 409 && code === 'invalid_state') return personJoined(message.value);
          showError(code === 'invalid_email' ? email : null,
            code === 'invalid_email' ? L.badEmail : answer[0] === 429 ? L.tooMany : L.sendFailed);
        }, function () {
          button.disabled = false;
          showError(null, L.sendFailed);
        });
        function showError(input, text) {
          error.textContent = text;
          error.hidden = false;
          if (input) input.focus();
        }
      }}, [
        V.leaveWhy = h('p', {cs: 'leave-why', text: L.leaveWhy, hidden: true}), h('h3', {text: L.leaveTitle}), h('p', {text: L.leaveIntro})
      ].concat(field(L.nameOpt, name), field(L.email, email), field(L.yourMessage, message), [error, button,
        h('button', {type: 'button', class: 'sb', text: L.notNow, onclick: function () {
          V.leave.remove();
          V.leave = null;
          refresh();
          V.input.focus();
        }})
      ]));
      V.tail.appendChild(V.leave);
    }
    refresh();
    scrollDown(true);
    if (focus) {
      var email = V.leave.querySelector('[name=email]');
      (email.value ? V.leave.querySelector('textarea') : email).focus();
    }
  }

  // The form came too late: a person took the chat meanwhile (their messages come on the socket). The chat goes
  // on, with what the visitor wrote in the composer, ready to send.
  function personJoined(text) {
    text = text.replace(TRAILING, '');
    if (V.leave) V.leave.remove();
    V.leave = null;
    var typed = V.input.value.replace(TRAILING, '');
    if (text && typed.indexOf(text) < 0) V.input.value = typed ? typed + '\n' + text : text;
    refresh();
    fit();
    V.input.focus();
    scrollDown(true);
  }

  function lastVisitorText() {
    var texts = V.log.querySelectorAll('[data-role=visitor] .bu');
    return texts.length ? texts[texts.length - 1].textContent : '';
  }

  function leaveSent(body) {
    S.ident = {name: body.name || (S.ident && S.ident.name) || null, email: body.email};
    jset('ident', S.ident);
    if (V.leave) V.leave.remove();
    V.leave = null;
    V.leaveDone = h('div', {class: 'fm', cs: 'leave-done', role: 'status', tabindex: '-1'}, [
      h('div', {class: 'dn'}, [h('i', {}, [icon('check')]), h('span', {text: fmt(L.leaveDone, {email: body.email})})])
    ]);
    V.tail.insertBefore(V.leaveDone, V.newChat || null);
    refresh();
    scrollDown(true);
    V.leaveDone.focus();
  }

  // --- pre-chat form -------------------------------------------------------------------------------------------
  function prechatNeeded() {
    var mode = S.config && S.config.prechat;
    if ((mode !== 'optional' && mode !== 'required') || S.conv || (S.ident && S.ident.email)) return false;
    return mode === 'required' || sget('prechat') !== 'done';
  }

  function showPrechat() {
    if (V.prechat) return;
    var required = S.config.prechat === 'required';
    var ident = S.ident || {};
    var name = h('input', {class: 'fi', name: 'name', type: 'text', maxlength: '120', autocomplete: 'name', value: ident.name || null});
    var email = h('input', {class: 'fi', name: 'email', type: 'email', maxlength: '254', autocomplete: 'email', required: required});
    var error = h('div', {class: 'er', role: 'alert', hidden: true});
    V.prechat = h('form', {class: 'fm', cs: 'prechat', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      var who = clean(name.value).replace(/\s+/g, ' ').trim().slice(0, 120);
      var mail = email.value.trim();
      if ((required || mail) && !EMAIL_RE.test(mail)) {
        error.textContent = L.badEmail;
        error.hidden = false;
        email.focus();
        return;
      }
      identify({name: who || null, email: mail || null});
      closePrechat(true);
    }}, [h('h3', {text: L.prechatTitle}), h('p', {text: required ? L.prechatIntroReq : L.prechatIntro})]
      .concat(field(L.nameOpt, name), field(L.email, email), [error,
        h('button', {type: 'submit', class: 'pb', cs: 'prechat-start', text: L.start}),
        required ? null : h('button', {type: 'button', class: 'sb', cs: 'prechat-skip', text: L.skip, onclick: function () { closePrechat(true); }})
      ]));
    V.tail.appendChild(V.prechat);
  }

  function closePrechat(byUser) {
    sset('prechat', 'done');
    if (V.prechat) V.prechat.remove();
    V.prechat = null;
    refresh();
    if (byUser) V.input.focus();
  }

  function identify(who) {
    var name = who && typeof who.name === 'string' ? clean(clean(who.name).replace(/\s+/g, ' ').trim().slice(0, 120)) : '';
    var email = who && typeof who.email === 'string' ? clean(who.email).trim().slice(0, 254) : '';
    if (email && !EMAIL_RE.test(email)) email = '';
    if (!name && !email) return;
    var before = S.ident || {};
    S.ident = {name: name || before.name || null, email: email || before.email || null};
    jset('ident', S.ident);
    sset('prechat', 'done');
    var frame = {};
    if (name) frame.name = name;
    if (email) frame.email = email;
    if (ready) { S.identifiedWith = S.token; sendIdentity(frame); } else S.identifiedWith = null;
    if (V.prechat) closePrechat(false);
  }

  // --- ending, survey, new chat ---------------------------------------------------------------------------
  function askEnd() {
    if (!V.confirm) {
      V.confirm = h('div', {class: 'fm', cs: 'end-dialog', role: 'alertdialog', 'aria-label': L.endAsk}, [
        h('h3', {text: L.endAsk}), h('p', {text: L.endNote}),
        h('button', {type: 'button', class: 'pb', cs: 'end-confirm', text: L.endChat, onclick: function () {
          hideConfirm();
          act({type: 'close'});
        }}),
        h('button', {type: 'button', class: 'sb', text: L.cancel, onclick: function () { hideConfirm(); V.endButton.focus(); }})
      ]);
    }
    V.tail.appendChild(V.confirm);
    V.confirm.hidden = false;
    scrollDown(true);
    V.confirm.querySelector('[data-cs=end-confirm]').focus();
  }

  function hideConfirm() {
    if (V.confirm) keep(function () { V.confirm.hidden = true; });
  }

  function afterClose() {
    hideConfirm();
    var survey = S.config.survey || {};
    var data = S.closedData || {};
    var rated = jget('rated', []);
    if (survey.csat && data.resolution !== 'ticket' && (data.survey || S.spoke) && rated.indexOf(S.conv) < 0 && !V.survey) {
      V.survey = buildSurvey(survey);
      V.tail.appendChild(V.survey);
    }
    if (!V.newChat) {
      V.newChat = h('button', {type: 'button', class: 'pb nc', cs: 'new-chat', text: L.newChat, onclick: startNewChat});
      V.tail.appendChild(V.newChat);
    }
  }

  function scale(kind, from, to, label, onPick) {
    var row = h('div', {class: 'sl', role: 'group', 'aria-label': label});
    row.style.gridTemplateColumns = 'repeat(' + (to - from + 1) + ',1fr)';
    for (var i = from; i <= to; i++) {
      (function (value) {
        row.appendChild(h('button', {type: 'button', cs: kind, 'data-value': String(value), 'aria-pressed': 'false',
          text: String(value), onclick: function () {
            Array.prototype.forEach.call(row.children, function (b) {
              var on = +b.getAttribute('data-value') === value;
              b.classList.toggle('on', on);
              b.setAttribute('aria-pressed', String(on));
            });
            onPick(value);
          }}));
      })(i);
    }
    return row;
  }

  function buildSurvey(options) {
    var picked = {};
    var send = h('button', {type: 'submit', class: 'pb', cs: 'survey-send', text: L.surveySend, disabled: true});
    var stars = h('div', {class: 'st', role: 'group', 'aria-label': L.surveyTitle});
    for (var i = 1; i <= 5; i++) {
      (function (value) {
        stars.appendChild(h('button', {type: 'button', class: 'sr', cs: 'csat', 'data-value': String(value), 'aria-pressed': 'false',
          'aria-label': fmt(L.star, {n: value, label: L.stars[value - 1]}), title: L.stars[value - 1], onclick: function () {
            picked.csat = value;
            Array.prototype.forEach.call(stars.children, function (b) {
              var v = +b.getAttribute('data-value');
              b.classList.toggle('on', v <= value);
              b.setAttribute('aria-pressed', String(v === value));
            });
            send.disabled = false;
          }}, [icon('star')]));
      })(i);
    }
    var comment = h('textarea', {class: 'fi', name: 'comment', maxlength: '1000', rows: '3'});
    var parts = [h('h3', {text: L.surveyTitle}), stars];
    if (options.nps) {
      parts.push(h('div', {class: 'sq', text: L.npsQ}), scale('nps', 0, 10, L.npsQ, function (v) { picked.nps = v; }),
        h('div', {class: 'se', 'aria-hidden': 'true'}, [h('span', {text: L.npsLow}), h('span', {text: L.npsHigh})]));
    }
    if (options.ces) {
      parts.push(h('div', {class: 'sq', text: L.cesQ}), scale('ces', 1, 7, L.cesQ, function (v) { picked.ces = v; }),
        h('div', {class: 'se', 'aria-hidden': 'true'}, [h('span', {text: L.cesLow}), h('span', {text: L.cesHigh})]));
    }
    var conv = S.conv;
    return h('form', {class: 'fm', cs: 'survey', novalidate: true, onsubmit: function (e) {
      e.preventDefault();
      if (!picked.csat) return;
      var frame = {type: 'rate', conversation: conv, csat: picked.csat};
      var text = comment.value.trim();
      if (text) frame.comment = text.slice(0, 1000);
      if (picked.nps != null) frame.nps = picked.nps;
      if (picked.ces != null) frame.ces = picked.ces;
      send.disabled = true;
      act(frame);
    }}, parts.concat(field(L.comment, comment), [send]));
  }

  function onRated(f) {
    var rated = jget('rated', []);
    if (rated.indexOf(f.conversation) < 0) rated.push(f.conversation);
    jset('rated', rated.slice(-20));
    if (f.conversation === S.conv) surveyDone();
  }

  function surveyDone() {
    if (!V.survey) return;
    V.surveyDone = h('div', {class: 'fm', cs: 'survey-done', role: 'status', tabindex: '-1'}, [
      h('div', {class: 'dn'}, [h('i', {}, [icon('check')]), h('span', {text: L.surveyDone})])
    ]);
    var hadFocus = V.survey.contains(root.activeElement);
    V.tail.replaceChild(V.surveyDone, V.survey);
    V.survey = null;
    if (hadFocus) V.surveyDone.focus();
  }

  function startNewChat() {
    forgetConversation();
    // the welcome carries the bot's first buttons only while no conversation is open: ask again
    if (!S.menu && ws) restartSocket();
    renderIntroMenu();
    refresh();
    V.input.focus();
  }

  function onError(f) {
    var sync = syncing;
    if (f.code === 'rate_limited') {
      resendLater();
      if (sync && sync.sent) {
        setTimeout(function () { if (syncing === sync) send({type: 'sync', conversation: sync.conv, after_seq: S.last}); }, 1200);
      }
    } else if (f.ref && pending[f.ref]) {
      var item = find(f.ref);
      if (item && f.code === 'invalid_state') item.x = 1; // the chat it was typed in closed as it came
      return markFailed(f.ref);
    } else if (sync && sync.sent && !f.ref && (!ready || f.code === 'not_found')) {
      // the answer to our sync (refusals of a sync carry no ref; before the first, nothing else is sent): the
      // conversation is not this visitor's (any more), or cannot be had: start clean
      return endSync(true);
    }
    if (lastAction === 'rate' && V.survey && !f.ref) {
      if (f.code === 'invalid_state') surveyDone();
      else V.survey.querySelector('[data-cs=survey-send]').disabled = false;
    }
  }

  // --- what is shown, from the state ------------------------------------------------------------------------
  function refresh() {
    if (S.built) keep(show); // what had the focus may go (the composer of a chat that ended, Talk to a person)
  }

  function show() {
    var st = S.status;
    var live = st === 'bot' || st === 'queued' || st === 'assigned';
    V.offline.hidden = S.online || !(S.everOnline || attempt > 1 || outbox.length) || S.failed;
    V.dot.className = S.online && S.avail && S.avail.agents_online ? 'on' : '';
    V.statusText.textContent = S.failed ? L.unavailable
      : !S.online ? (S.everOnline ? L.reconnecting : L.connecting)
        : st === 'assigned' && S.agent ? fmt(L.withAgent, {name: S.agent})
          : !S.avail ? L.replies
            : S.avail.leave_message ? L.away : S.avail.agents_online ? L.online : L.replies;
    V.endButton.hidden = !live;
    if (!live) hideConfirm();
    var prechat = !live && st !== 'closed' && prechatNeeded();
    if (prechat) showPrechat();
    else if (V.prechat) { V.prechat.remove(); V.prechat = null; } // another tab answered it, or a chat began
    V.human.hidden = !(st === '' || st === 'bot') || !!V.leave || !!V.leaveDone || prechat;
    V.footer.hidden = st === 'closed';
    V.composer.hidden = prechat;
    V.introMenu.hidden = !V.introMenu.firstChild || !!S.conv || prechat;
    // the menu's own "person" button makes the footer's a repeat
    if (!V.introMenu.hidden && (S.menu || []).some(function (item) { return item.action === 'human'; })) V.human.hidden = true;
    renderQueue();
  }

  // --- start ----------------------------------------------------------------------------------------------
  function start(config) {
    if (S.config) return; // a config asked for twice
    S.config = config;
    S.avail = config.availability || null;
    build(config);
    outbox.forEach(showPending);
    setUnread(S.unread);
    refresh();
    if (S.openAtStart === true || (S.openAtStart == null && sget('open') === '1')) setOpen(true, !!S.openAtStart);
    // connect at once when there is something to follow; else when the visitor opens the chat
    if ((S.conv && sget('done') !== S.conv) || outbox.length) connect();
    emit('ready');
  }

  var configTries = 0, refusals = 0;

  // The site's config: ok(config); no() when the site refuses this page (or does not exist); else retry().
  function askConfig(ok, no, retry) {
    var url = BASE + '/api/visitor/widget?site=' + encodeURIComponent(SITE);
    var options = {mode: 'cors', credentials: 'omit', cache: 'no-store'};
    fetch(url, options).then(function (r) {
      if (r.status === 403 || r.status === 404) return no();
      if (!r.ok) return retry();
      return r.json().then(ok);
    }, function () {
      // No answer this page may read: the server is unreachable, or it refused this page's origin (a refusal
      // carries no CORS headers). A request whose answer stays opaque tells the two apart.
      options.mode = 'no-cors';
      return fetch(url, options).then(no, retry);
    }).catch(retry);
  }

  function loadConfig() {
    askConfig(function (config) {
      if (document.body) start(config);
      else document.addEventListener('DOMContentLoaded', function () { start(config); });
    }, refused, retryConfig);
  }

  // The site refused this page (or does not exist): say so once, look again twice, minutes apart, then stop.
  function refused() {
    sayRefused();
    if (refusals <= 2) setTimeout(loadConfig, refusals * 60000);
  }

  function sayRefused() {
    if (!refusals++) {
      warn('this page\'s origin (' + location.origin + ') is not allowed for site "' + SITE + '" on ' + BASE +
        ', or there is no such site: add the origin to the site\'s allowed origins');
    }
  }

  // The server is unreachable or failed: try again, 1 s, 2 s, 4 s... up to every 30 s.
  // With several servers, the next one at once; the backoff after each round.
  function retryConfig() {
    if (!S.config) setTimeout(loadConfig, nextServer() ? 0 : Math.min(30000, 1000 * Math.pow(2, configTries++)));
  }

  // --- page life ----------------------------------------------------------------------------------------------
  window.addEventListener('storage', function (e) {
    if (!e.key || e.key.indexOf(PREFIX) !== 0 || !S.built) return;
    var key = e.key.slice(PREFIX.length);
    if (key === 'open') setOpen(e.newValue === '1', false, true);
    else if (key === 'unread') setUnread(+e.newValue || 0, true);
    else if (key === 'read') recountUnread();
    else if (key === 'ident') { S.ident = jget('ident', null); refresh(); }
    else if (key === 'prechat') refresh();
    else if (key === 'outbox') adoptOutbox();
    else if (key === 'conv' && e.newValue && !ws) connect();
    else if (key === 'token' && e.newValue && e.newValue !== S.token) {
      // two tabs asked for a token at once: both follow the one stored last (this tab has no chat of its own)
      S.token = e.newValue;
      if (ws && !S.conv && !outbox.length) restartSocket();
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      markRead();
      if (!ws && S.config && (S.open || S.conv)) reconnectNow();
    }
  });
  window.addEventListener('popstate', sendPage);
  window.addEventListener('hashchange', sendPage);
  window.addEventListener('online', function () { if (S.open || S.conv || outbox.length) reconnectNow(); });
  // the network went away: say so now rather than when the socket finally notices
  window.addEventListener('offline', function () { if (ws) ws.close(); });
  window.addEventListener('pagehide', function (e) {
    // leave the socket so the page can enter the back/forward cache; pageshow opens a new one
    if (e.persisted) drop();
  });
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && S.config && (S.open || S.conv)) reconnectNow();
  });

  // --- the one global -------------------------------------------------------------------------------------------
  window.Chatsvc = Object.freeze({
    open: function () { setOpen(true, true); },
    close: function () { setOpen(false, true); },
    identify: function (who) { identify(who); },
    on: function (name, fn) {
      if (typeof fn !== 'function') return function () {};
      (handlers[name] = handlers[name] || []).push(fn);
      if (name === 'ready' && S.built) setTimeout(function () { fn(); });
      return function () {
        handlers[name] = (handlers[name] || []).filter(function (f) { return f !== fn; });
      };
    }
  });

  loadConfig();
})();
