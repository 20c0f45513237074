/* Trade On live client: window.TradeOnLive. One websocket per tab to /ws/events/ (see
   realtime/consumers.py for the frames), shared by every script of the page. No build step.

   Streams ("user.<id>", "fair.<id>") carry numbered events: 1, 2, 3, ... without gaps. Each
   subscription remembers the last number it applied; a number it did not expect (a gap), or a
   reconnect after which the server is further on, makes it fetch what it missed from
   GET /api/v1/events/?stream=<key>&after=<n> (pages of up to 500, followed to the end) and
   apply those in order, so what a page shows is what the server holds.

   API
     TradeOnLive.subscribe(key, {onEvent, onResync, since}) -> unsubscribe()
       onEvent(frame, {live}) - each event once, in order; frame as the server sends it:
           {"type": "event", "stream", "seq", "kind", "data", "at"}; live is false for events
           fetched to fill a gap.
       since - the number the page's server-rendered state (a snapshot) was drawn at: events
           after it are fetched first. Left out: events from the moment of subscribing on.
       onResync() - called before catching up after a reconnect or a gap. It may return (or
           resolve to) the number of a fresh snapshot it loaded itself (the board's JSON
           carries "seq"); then only events after that number are fetched. Returning nothing
           fetches every missed event and passes each to onEvent.
     TradeOnLive.on(name, fn) -> off()
       "status": fn(status, detail) with status "connecting", "connected" or "reconnecting"
           (detail {delay, attempt}: seconds until the next try);
       "hello", "read", "error", "subscribed", "unsubscribed", "pong": fn(frame), the server's
           frames of that type ("read": another tab marked notifications read);
       "fetch-error": fn({stream, status}) when catching up was refused (403: not allowed).
     TradeOnLive.status, TradeOnLive.connect(), TradeOnLive.lastSeq(key)

   Heartbeat: {"type": "ping"} every `heartbeat` seconds (from "hello"); the pong carries the
   followed streams' newest numbers, so a lost push is fetched within a heartbeat; no pong within 10 s
   means the connection is dead: it is dropped and made again, after 1, 2, 4, ... 30 s. */
(function () {
  "use strict";
  if (window.TradeOnLive) return;

  var EVENTS_URL = "/api/v1/events/";
  var PONG_TIMEOUT_MS = 10000;
  var MAX_DELAY_S = 30;

  var socket = null;
  var status = "idle";
  var attempts = 0;
  var heartbeatSeconds = 25;
  var heartbeatTimer = null;
  var pongTimer = null;
  var reconnectTimer = null;
  var ownStream = null;
  var streams = {}; // key -> {key, subs: [], resubscribing: bool}
  var listeners = {}; // name -> [fn]

  // --- events for other scripts -------------------------------------------------------------

  function emit(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (listeners[name] || []).slice().forEach(function (fn) {
      try {
        fn.apply(null, args);
      } catch (error) {
        console.error(error);
      }
    });
  }

  function on(name, fn) {
    (listeners[name] = listeners[name] || []).push(fn);
    return function off() {
      listeners[name] = (listeners[name] || []).filter(function (other) { return other !== fn; });
    };
  }

  function setStatus(value, detail) {
    status = value;
    emit("status", value, detail || {});
  }

  // --- the connection -----------------------------------------------------------------------

  function socketUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/events/";
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (socket) return;
    setStatus(attempts ? "reconnecting" : "connecting", { attempt: attempts });
    var ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onmessage = function (message) {
      if (socket === ws) receive(message.data);
    };
    ws.onclose = function () {
      if (socket === ws) dropped();
    };
  }

  function send(frame) {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame));
  }

  function dropped() {
    socket = null;
    stopHeartbeat();
    scheduleReconnect();
  }

  // A connection that stopped answering (a laptop that slept, a proxy that lost it) may take
  // minutes to report its close: give up on it now and make a new one.
  function abandon() {
    var ws = socket;
    if (!ws) return;
    ws.onmessage = ws.onclose = null;
    try {
      ws.close(4000, "no pong");
    } catch (error) { /* already closed */ }
    dropped();
  }

  function scheduleReconnect() {
    if (reconnectTimer) return;
    attempts += 1;
    // 1, 2, 4, ... 30 s, spread a little so a restarted server is not hit by every tab at once.
    var delay = Math.min(MAX_DELAY_S, Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4);
    setStatus("reconnecting", { delay: delay, attempt: attempts });
    reconnectTimer = setTimeout(connect, delay * 1000);
  }

  function reconnectNow() {
    if (socket) return;
    attempts = Math.min(attempts, 1);
    connect();
  }

  function startHeartbeat() {
    stopHeartbeat();
    heartbeatTimer = setInterval(ping, heartbeatSeconds * 1000);
  }

  function stopHeartbeat() {
    clearInterval(heartbeatTimer);
    clearTimeout(pongTimer);
    heartbeatTimer = pongTimer = null;
  }

  function ping() {
    if (!socket || socket.readyState !== 1) return;
    send({ type: "ping" });
    if (!pongTimer) pongTimer = setTimeout(abandon, PONG_TIMEOUT_MS);
  }

  // --- frames from the server ---------------------------------------------------------------

  function receive(text) {
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    if (frame.type === "hello") hello(frame);
    else if (frame.type === "pong") {
      clearTimeout(pongTimer);
      pongTimer = null;
      behind(frame.streams || {});
    } else if (frame.type === "subscribed") subscribed(frame);
    else if (frame.type === "event") event(frame);
    else if (frame.type === "lagged") lagged(frame);
    if (frame.type !== "event") emit(frame.type, frame);
  }

  function hello(frame) {
    attempts = 0;
    heartbeatSeconds = frame.heartbeat > 0 ? frame.heartbeat : 25;
    var followed = frame.streams || {};
    ownStream = Object.keys(followed)[0] || ownStream;
    startHeartbeat();
    setStatus("connected");
    Object.keys(followed).forEach(function (key) {
      if (streams[key]) streams[key].subs.slice().forEach(function (sub) { caughtUpTo(sub, followed[key]); });
    });
    Object.keys(streams).forEach(function (key) {
      if (!(key in followed)) {
        streams[key].resubscribing = true;
        send({ type: "subscribe", stream: key });
      }
    });
  }

  function subscribed(frame) {
    var stream = streams[frame.stream];
    if (!stream) return;
    var all = stream.resubscribing;
    stream.resubscribing = false;
    stream.subs.slice().forEach(function (sub) {
      // After a reconnect every subscription compares; otherwise only the new one, whose
      // neighbours on the same stream are up to date already.
      if (all || !sub.ready) caughtUpTo(sub, frame.seq);
    });
  }

  function event(frame) {
    var stream = streams[frame.stream];
    if (!stream || typeof frame.seq !== "number") return;
    stream.subs.slice().forEach(function (sub) { deliver(sub, frame); });
  }

  // The heartbeat's answer carries each stream's newest number: a push that never arrived, with
  // no event after it to show the gap, is fetched now.
  function behind(newest) {
    Object.keys(newest).forEach(function (key) {
      var stream = streams[key];
      if (!stream) return;
      stream.subs.slice().forEach(function (sub) {
        if (sub.ready && sub.lastSeq !== null && !sub.syncing && newest[key] > sub.lastSeq) resync(sub, true);
      });
    });
  }

  // This socket fell behind and the server dropped pushes up to `seq`: fetch them.
  function lagged(frame) {
    var stream = streams[frame.stream];
    if (!stream) return;
    stream.subs.slice().forEach(function (sub) {
      if (!sub.ready || sub.lastSeq === null) return; // its "subscribed" frame will compare
      if (typeof frame.seq !== "number" || frame.seq > sub.lastSeq) resync(sub, true);
    });
  }

  // --- one subscription's numbers -----------------------------------------------------------

  // The server says the stream is at `seq` (on connect or subscribe).
  function caughtUpTo(sub, seq) {
    var first = !sub.ready;
    sub.ready = true;
    if (sub.lastSeq === null) {
      sub.lastSeq = seq; // from now on
      flush(sub);
    } else if (seq > sub.lastSeq) {
      resync(sub, !first);
    } else if (seq < sub.lastSeq) {
      // The server is behind what we applied: its data was reset. Start over from its number.
      sub.lastSeq = seq;
      sub.queue = [];
      if (sub.onResync) callSafely(sub.onResync);
    } else {
      flush(sub);
    }
  }

  function deliver(sub, frame) {
    if (sub.closed) return;
    if (sub.syncing || sub.lastSeq === null) {
      sub.queue.push(frame); // applied once the numbers are known
      return;
    }
    if (frame.seq <= sub.lastSeq) return; // had it (the push raced a fetch)
    if (frame.seq === sub.lastSeq + 1) {
      apply(sub, frame, true);
      return;
    }
    sub.queue.push(frame); // a number was skipped: fetch it first
    resync(sub, true);
  }

  function apply(sub, frame, live) {
    sub.lastSeq = frame.seq;
    if (sub.onEvent) {
      try {
        sub.onEvent(frame, { live: live });
      } catch (error) {
        console.error(error);
      }
    }
  }

  // Apply queued pushes in order. `settled`: a fetch just ended, so a number still missing does
  // not exist on the server (nothing to wait for); apply what follows instead of looping.
  function flush(sub, settled) {
    var queue = sub.queue.sort(function (a, b) { return a.seq - b.seq; });
    sub.queue = [];
    for (var i = 0; i < queue.length; i++) {
      var frame = queue[i];
      if (frame.seq <= sub.lastSeq) continue;
      if (frame.seq !== sub.lastSeq + 1 && !settled) {
        sub.queue = queue.slice(i);
        resync(sub, true);
        return;
      }
      apply(sub, frame, true);
    }
  }

  function callSafely(fn) {
    try {
      return fn();
    } catch (error) {
      console.error(error);
      return undefined;
    }
  }

  function resync(sub, announce) {
    if (sub.closed) return;
    if (sub.syncing) {
      sub.again = true;
      return;
    }
    sub.syncing = true;
    sub.again = false;
    Promise.resolve(announce && sub.onResync ? callSafely(sub.onResync) : undefined)
      .then(function (snapshotSeq) {
        if (typeof snapshotSeq === "number" && isFinite(snapshotSeq) && snapshotSeq >= 0) sub.lastSeq = snapshotSeq;
        return fetchMissed(sub);
      })
      .then(function () {
        sub.syncing = false;
        sub.failures = 0;
        if (sub.again) {
          resync(sub, false);
          return;
        }
        flush(sub, true);
      })
      .catch(function (error) {
        sub.syncing = false;
        if (sub.closed) return;
        var code = error && error.status;
        if (code === 401 || code === 403 || code === 400) {
          emit("fetch-error", { stream: sub.key, status: code });
          return; // not allowed (any more): retrying will not help
        }
        sub.failures = (sub.failures || 0) + 1;
        var delay = Math.min(MAX_DELAY_S, Math.pow(2, sub.failures));
        setTimeout(function () { resync(sub, false); }, delay * 1000);
      });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw { status: response.status };
      return response.json();
    });
  }

  // Every event after sub.lastSeq, page by page. The next page is asked for from the last
  // number applied (not the `next` link, whose host a proxy may have rewritten).
  function fetchMissed(sub) {
    function page() {
      if (sub.closed) return undefined;
      var url = EVENTS_URL + "?stream=" + encodeURIComponent(sub.key) + "&after=" + sub.lastSeq;
      return getJson(url).then(function (body) {
        if (sub.closed) return undefined;
        var before = sub.lastSeq;
        if (body.last_seq < sub.lastSeq) {
          sub.lastSeq = body.last_seq; // the server's data was reset
          if (sub.onResync) callSafely(sub.onResync);
          return undefined;
        }
        (body.results || []).forEach(function (frame) {
          if (frame.seq > sub.lastSeq) apply(sub, frame, false);
        });
        return body.next && sub.lastSeq > before ? page() : undefined;
      });
    }
    return page();
  }

  // --- subscribing --------------------------------------------------------------------------

  function subscribe(key, handlers) {
    handlers = handlers || {};
    var sub = {
      key: key,
      lastSeq: typeof handlers.since === "number" && handlers.since >= 0 ? handlers.since : null,
      onEvent: handlers.onEvent,
      onResync: handlers.onResync,
      queue: [],
      ready: false,
      syncing: false,
      again: false,
      closed: false,
    };
    var stream = streams[key];
    if (!stream) stream = streams[key] = { key: key, subs: [], resubscribing: false };
    stream.subs.push(sub);
    if (status === "connected") send({ type: "subscribe", stream: key });
    else if (!socket && !reconnectTimer) connect();
    return function unsubscribe() {
      if (sub.closed) return;
      sub.closed = true;
      stream.subs = stream.subs.filter(function (other) { return other !== sub; });
      if (!stream.subs.length && streams[key] === stream) {
        delete streams[key];
        if (key !== ownStream && status === "connected") send({ type: "unsubscribe", stream: key });
      }
    };
  }

  function lastSeq(key) {
    var stream = streams[key];
    if (!stream) return null;
    return stream.subs.reduce(function (most, sub) {
      return sub.lastSeq !== null && (most === null || sub.lastSeq > most) ? sub.lastSeq : most;
    }, null);
  }

  // --- the page's life ----------------------------------------------------------------------

  window.addEventListener("online", reconnectNow);
  // Back from sleep or a hidden tab: check at once that the connection still answers.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    if (socket) ping();
    else reconnectNow();
  });
  // Leaving the page: close cleanly so the lobby sees us go now, not after a missed heartbeat.
  window.addEventListener("pagehide", function () {
    var ws = socket;
    if (!ws) return;
    ws.onmessage = ws.onclose = null;
    socket = null;
    status = "idle"; // a page restored from the back/forward cache connects again (pageshow)
    stopHeartbeat();
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    ws.close(1000);
  });
  window.addEventListener("pageshow", function (page) {
    if (page.persisted && Object.keys(streams).length) reconnectNow();
  });

  window.TradeOnLive = {
    subscribe: subscribe,
    on: on,
    connect: reconnectNow,
    lastSeq: lastSeq,
    get status() {
      return status;
    },
  };
})();
