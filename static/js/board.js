// The staff live board of a fair's day (templates/fairs/live_board.html).
//
// It starts from the snapshot the page embeds (#live-board-snapshot, with the fair stream's
// sequence number "seq") and then follows the fair's stream through window.TradeOnLive
// (static/js/live.js): every event numbered above the board's seq is applied in order
// ("meeting" replaces a row, "presence" updates the lobby, "announcement" lists it,
// "board.settings" updates the no-show delay and the phase). A gap in the numbers, a reconnect
// or TradeOnLive's onResync refetches the snapshot; events that arrive meanwhile are kept and
// applied on top of it. Without TradeOnLive the board polls the snapshot instead.
//
// Every 20 seconds it also POSTs the board's "tick": states that change with the clock alone (a
// meeting starts with nobody there, a party is N minutes late, the slot ends) are computed on the
// server by matching.fairs.live.live_tick, which Celery beat runs every minute in production but
// nothing runs in the embedded default (no beat there). The tick is idempotent and cheap, so
// several open boards ticking at once publish each change once.
(function () {
  "use strict";

  var TICK_MS = 20000;
  var TICK_RETRY_MS = 2000;
  var STANDBY_REFRESH_MS = 1500;

  var root = document.querySelector("[data-live-board]");
  if (!root) return;

  var labels = JSON.parse(document.getElementById("live-board-labels").textContent);
  var board = {
    seq: 0,
    day: root.dataset.day,
    offset: 0, // server clock minus this browser's clock, in ms
    snapshot: null,
    meetings: new Map(), // id -> board row
    lobby: new Map(), // user id -> entry
    parties: { sme: {}, buyer: {} },
    live: false, // the events websocket is connected
  };
  var loading = null;
  var pending = [];
  var standbyTimer = null;

  // --- small helpers ------------------------------------------------------------------------------

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (e) { /* fall through to the cookie */ }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(url, method, body) {
    var options = {
      method: method || "GET",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (method && method !== "GET") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken();
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data && data.detail) || labels.error);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function format(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : values[name];
    });
  }

  var seoulTime = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit", hour12: false,
  });

  function hhmm(iso) { return seoulTime.format(new Date(iso)); }

  function seoulDay(iso) {
    // The Seoul calendar day of an instant, as YYYY-MM-DD.
    var parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit",
    }).format(new Date(iso));
    return parts;
  }

  function clone(name) {
    var template = root.querySelector('template[data-template="' + name + '"]');
    return template.content.firstElementChild.cloneNode(true);
  }

  function field(element, name) { return element.querySelector('[data-field="' + name + '"]'); }

  function setText(element, name, text) {
    var target = field(element, name);
    if (target) target.textContent = text == null ? "" : text;
  }

  function say(text, isError) {
    var message = root.querySelector("[data-board-message]");
    message.textContent = text || "";
    message.classList.toggle("live-error", !!isError);
  }

  function setConnection(kind) {
    var badge = root.querySelector("[data-connection]");
    badge.dataset.connection = kind;
    badge.textContent = labels.connection[kind] || kind;
  }

  function serverNow() { return Date.now() + board.offset; }

  // --- meetings ----------------------------------------------------------------------------------

  function slotSection(startsAt) {
    var container = root.querySelector("[data-live-meetings]");
    var sections = container.querySelectorAll("[data-slot]");
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].dataset.slot === startsAt) return sections[i];
    }
    var section = clone("slot");
    section.dataset.slot = startsAt;
    setText(section, "slot-time", hhmm(startsAt));
    var rows = section.querySelector(".live-rows");
    rows.textContent = "";
    var before = null;
    for (var j = 0; j < sections.length; j++) {
      if (Date.parse(sections[j].dataset.slot) > Date.parse(startsAt)) { before = sections[j]; break; }
    }
    container.insertBefore(section, before);
    var empty = container.querySelector("[data-live-empty]");
    if (empty) empty.remove();
    return section;
  }

  function rowElement(row) {
    var element = root.querySelector('[data-meeting-id="' + row.id + '"]');
    var section = slotSection(row.starts_at);
    var list = section.querySelector(".live-rows");
    if (element && element.closest("[data-slot]") !== section) {
      element.remove();
      element = null;
    }
    if (!element) {
      element = clone("meeting");
      element.dataset.meetingId = row.id;
      var before = null;
      var siblings = list.querySelectorAll("[data-meeting-id]");
      for (var i = 0; i < siblings.length; i++) {
        if (Number(siblings[i].dataset.meetingId) > row.id) { before = siblings[i]; break; }
      }
      list.insertBefore(element, before);
    }
    return element;
  }

  function note(row) {
    if (row.no_show_candidate) return labels.no_show[row.no_show_side] || "";
    if (row.replaced_by) return format(labels.replaced_by, { id: row.replaced_by });
    if (row.board_state === "cancelled") return row.cancel_reason;
    if (row.board_state === "live" && row.live_started_at) {
      return format(labels.live_since, { time: hhmm(row.live_started_at) });
    }
    if (row.board_state === "completed") {
      return format(labels.attended, { minutes: Math.floor(row.attended_seconds / 60) });
    }
    if (row.source === "standby") return labels.standby_source;
    return "";
  }

  function renderRow(row, flash) {
    var element = rowElement(row);
    element.dataset.liveState = row.board_state;
    if (row.no_show_candidate) element.dataset.noShow = row.no_show_side;
    else delete element.dataset.noShow;
    setText(element, "time", hhmm(row.starts_at) + "–" + hhmm(row.ends_at));
    setText(element, "company", row.company.name);
    setText(element, "buyer", row.buyer.name);
    setText(element, "country", row.buyer.country);
    setText(element, "room", row.room || labels.online_room);
    setText(element, "interpreter", row.interpreter || labels.no_interpreter);
    var badge = field(element, "state");
    badge.className = "badge live-badge live-state-" + row.board_state;
    badge.textContent = labels.states[row.board_state] || row.board_state;
    setText(element, "note", note(row));
    element.querySelectorAll(".live-side-chip").forEach(function (chip) {
      chip.classList.toggle("is-present", row.present.indexOf(chip.dataset.side) !== -1);
    });
    var standby = element.querySelector("[data-standby]");
    if (row.no_show_candidate) {
      standby.hidden = false;
      // Load the suggestions once per absent side; refreshStandbySoon keeps them current.
      if (element.dataset.standbySide !== row.no_show_side) {
        element.dataset.standbySide = row.no_show_side;
        loadStandby(element, row);
      }
    } else {
      standby.hidden = true;
      delete element.dataset.standbySide;
      standby.querySelector("[data-standby-lists]").textContent = "";
      standby.querySelector("[data-standby-status]").textContent = "";
    }
    if (flash) {
      element.classList.remove("is-flash");
      void element.offsetWidth; // restart the animation
      element.classList.add("is-flash");
    }
  }

  function updateCounts() {
    var counts = {};
    Object.keys(labels.states).forEach(function (state) { counts[state] = 0; });
    counts.no_show_candidates = 0;
    board.meetings.forEach(function (row) {
      counts[row.board_state] = (counts[row.board_state] || 0) + 1;
      if (row.no_show_candidate) counts.no_show_candidates += 1;
    });
    root.querySelectorAll("[data-count]").forEach(function (element) {
      element.textContent = counts[element.dataset.count] || 0;
    });
  }

  function applyMeeting(row, flash) {
    if (seoulDay(row.starts_at) !== board.day) return; // another day of the fair
    board.meetings.set(row.id, row);
    renderRow(row, flash);
    updateCounts();
  }

  // --- standby suggestions -------------------------------------------------------------------------

  function sidesOf(row) { return row.no_show_side === "both" ? ["sme", "buyer"] : [row.no_show_side]; }

  function loadStandby(element, row) {
    var lists = element.querySelector("[data-standby-lists]");
    var status = element.querySelector("[data-standby-status]");
    var token = String(Date.now()) + Math.random();
    element.dataset.standbyToken = token;
    if (!lists.children.length) status.textContent = labels.loading;
    var url = root.dataset.standbyUrl.replace("{id}", row.id);
    Promise.all(sidesOf(row).map(function (side) {
      return api(url + "?side=" + side).then(function (suggestions) { return { side: side, suggestions: suggestions }; });
    })).then(function (results) {
      if (element.dataset.standbyToken !== token) return; // a newer load won
      lists.textContent = "";
      status.textContent = "";
      status.classList.remove("live-error");
      results.forEach(function (result) {
        var block = document.createElement("div");
        block.className = "live-standby-side";
        var title = document.createElement("p");
        title.className = "small muted";
        title.textContent = labels.standby_for[result.side];
        block.appendChild(title);
        if (!result.suggestions.length) {
          var none = document.createElement("p");
          none.className = "small";
          none.textContent = labels.no_standby;
          block.appendChild(none);
        } else {
          var list = document.createElement("ol");
          result.suggestions.forEach(function (suggestion) { list.appendChild(suggestionElement(suggestion)); });
          block.appendChild(list);
        }
        lists.appendChild(block);
      });
    }).catch(function (error) {
      if (element.dataset.standbyToken !== token) return;
      status.textContent = error.message;
      status.classList.add("live-error");
    });
  }

  function suggestionElement(suggestion) {
    var item = clone("suggestion");
    setText(item, "name", suggestion.name + (suggestion.country ? " (" + suggestion.country + ")" : ""));
    field(item, "online").hidden = !suggestion.online;
    var details = [];
    if (suggestion.score !== null) details.push(format(labels.score, { score: suggestion.score.toFixed(2) }));
    if (suggestion.room) details.push(suggestion.room);
    if (suggestion.interpreter) details.push(suggestion.interpreter);
    setText(item, "detail", details.join(" · "));
    var button = item.querySelector("[data-reassign-to]");
    button.dataset.reassignTo = suggestion.id;
    button.dataset.side = suggestion.side;
    return item;
  }

  function refreshStandbySoon() {
    // Presence and other meetings change who is free or online; refresh the open panels once
    // things settle rather than on every event.
    clearTimeout(standbyTimer);
    standbyTimer = setTimeout(function () {
      root.querySelectorAll("[data-no-show]").forEach(function (element) {
        var row = board.meetings.get(Number(element.dataset.meetingId));
        if (row && row.no_show_candidate) loadStandby(element, row);
      });
    }, STANDBY_REFRESH_MS);
  }

  function reassign(button) {
    var element = button.closest("[data-meeting-id]");
    var status = element.querySelector("[data-standby-status]");
    var url = root.dataset.reassignUrl.replace("{id}", element.dataset.meetingId);
    element.querySelectorAll("[data-reassign-to]").forEach(function (b) { b.disabled = true; });
    status.classList.remove("live-error");
    status.textContent = labels.loading;
    api(url, "POST", { to: Number(button.dataset.reassignTo), side: button.dataset.side }).then(function (data) {
      status.textContent = "";
      say(format(labels.reassigned, { id: data.meeting.id }));
      applyMeeting(data.meeting, true);
      if (!board.live) resync();
    }).catch(function (error) {
      status.textContent = error.message;
      status.classList.add("live-error");
      element.querySelectorAll("[data-reassign-to]").forEach(function (b) { b.disabled = false; });
      refreshStandbySoon();
    });
  }

  // --- lobby, announcements, settings -------------------------------------------------------------

  function partyName(entry) {
    if (entry.party) return entry.party;
    if (entry.company) return board.parties.sme[entry.company] || "";
    if (entry.buyer) return board.parties.buyer[entry.buyer] || "";
    return "";
  }

  function renderLobby() {
    var list = root.querySelector("[data-lobby]");
    list.querySelectorAll("[data-lobby-user]").forEach(function (element) { element.remove(); });
    var entries = Array.from(board.lobby.values()).sort(function (a, b) {
      return (partyName(a) + a.name).localeCompare(partyName(b) + b.name);
    });
    var empty = list.querySelector("[data-lobby-empty]");
    entries.forEach(function (entry) {
      var item = clone("lobby");
      item.dataset.lobbyUser = entry.user;
      setText(item, "name", entry.name);
      setText(item, "party", partyName(entry));
      list.insertBefore(item, empty);
    });
    empty.hidden = entries.length > 0;
    root.querySelector("[data-lobby-count]").textContent = entries.length;
  }

  function applyPresence(data) {
    if (data.role === "staff") return; // staff and interpreters are not the lobby
    if (data.online) board.lobby.set(data.user, data);
    else board.lobby.delete(data.user);
    renderLobby();
    refreshStandbySoon();
  }

  function announcementElement(item) {
    var element = clone("announcement");
    setText(element, "message", item.message);
    setText(element, "by", item.by);
    var time = field(element, "at");
    time.setAttribute("datetime", item.at);
    time.textContent = hhmm(item.at);
    return element;
  }

  function renderAnnouncements(items) {
    var list = root.querySelector("[data-announcements]");
    list.textContent = "";
    items.forEach(function (item) { list.appendChild(announcementElement(item)); });
  }

  function applyAnnouncement(item) {
    var list = root.querySelector("[data-announcements]");
    list.insertBefore(announcementElement(item), list.firstChild);
  }

  function applySettings(data) {
    if (data.no_show_after_minutes) {
      var input = root.querySelector("[data-no-show-minutes]");
      if (document.activeElement !== input) input.value = data.no_show_after_minutes;
    }
    if (data.phase) {
      var phase = root.querySelector("[data-phase]");
      phase.className = "badge badge-phase phase-" + data.phase;
      phase.textContent = data.phase_label || data.phase;
      var start = root.querySelector("[data-start-day]");
      if (start && data.phase !== "published") start.remove();
    }
  }

  // --- the snapshot and the stream ----------------------------------------------------------------

  function applySnapshot(snapshot) {
    board.snapshot = snapshot;
    board.seq = snapshot.seq;
    board.day = snapshot.day;
    board.offset = Date.parse(snapshot.server_time) - Date.now();
    board.parties = snapshot.parties || { sme: {}, buyer: {} };
    var seen = new Set();
    board.meetings = new Map();
    snapshot.meetings.forEach(function (row) {
      seen.add(String(row.id));
      board.meetings.set(row.id, row);
      renderRow(row, false);
    });
    root.querySelectorAll("[data-meeting-id]").forEach(function (element) {
      if (!seen.has(element.dataset.meetingId)) element.remove();
    });
    updateCounts();
    board.lobby = new Map();
    snapshot.lobby.forEach(function (entry) { board.lobby.set(entry.user, entry); });
    renderLobby();
    renderAnnouncements(snapshot.announcements || []);
    applySettings({
      no_show_after_minutes: snapshot.no_show_after_minutes,
      phase: snapshot.fair.phase,
      phase_label: snapshot.fair.phase_label,
    });
    tickCountdown();
  }

  function apply(frame) {
    var data = frame.data || {};
    if (frame.kind === "meeting") applyMeeting(data, true);
    else if (frame.kind === "presence") applyPresence(data);
    else if (frame.kind === "announcement") applyAnnouncement({ message: data.message, by: data.by, at: frame.at });
    else if (frame.kind === "board.settings") applySettings(data);
    if (frame.kind === "meeting") refreshStandbySoon();
  }

  function onEvent(frame) {
    // TradeOnLive delivers each event once and in order; the board's own number still matters
    // because the board also reloads its snapshot by itself (after a re-assign, while polling).
    if (!frame || typeof frame.seq !== "number") return;
    if (loading) { pending.push(frame); return; }
    if (frame.seq <= board.seq) return; // already in the snapshot, or seen
    if (frame.seq > board.seq + 1) { // a gap: start again from a fresh snapshot
      pending.push(frame);
      resync();
      return;
    }
    apply(frame);
    board.seq = frame.seq;
  }

  function resync() {
    if (loading) return loading;
    loading = api(root.dataset.snapshotUrl).then(function (snapshot) {
      loading = null;
      // An answer older than what the board already applied (a race with the stream) is dropped.
      if (snapshot.seq >= board.seq) applySnapshot(snapshot);
      var queued = pending.sort(function (a, b) { return a.seq - b.seq; });
      pending = [];
      queued.forEach(function (frame) {
        if (frame.seq === board.seq + 1) { apply(frame); board.seq = frame.seq; }
      });
    }).catch(function () {
      loading = null;
      setConnection("offline");
    });
    return loading;
  }

  var retryTimer = null;

  function tick() {
    clearTimeout(retryTimer);
    api(root.dataset.tickUrl, "POST", {}).then(function () {
      if (!board.live) {
        return resync().then(function () { if (!board.live) setConnection("polling"); });
      }
      return undefined;
    }).catch(function () {
      // A busy database (SQLite in the embedded default allows one writer) or a blip: try again
      // soon rather than at the next regular tick.
      retryTimer = setTimeout(tick, TICK_RETRY_MS);
    });
  }

  // --- the countdown --------------------------------------------------------------------------------

  function tickCountdown() {
    var snapshot = board.snapshot;
    if (!snapshot) return;
    var now = serverNow();
    var next = null;
    (snapshot.slots || []).forEach(function (slot) {
      var start = Date.parse(slot.starts_at);
      if (start > now && (next === null || start < next)) next = start;
    });
    if (next === null && snapshot.next_slot_at && Date.parse(snapshot.next_slot_at) > now) {
      next = Date.parse(snapshot.next_slot_at);
    }
    var clock = root.querySelector("[data-countdown]");
    var label = root.querySelector("[data-countdown-label]");
    if (next === null) {
      clock.textContent = "--:--";
      label.textContent = labels.no_next_slot;
    } else {
      var seconds = Math.max(0, Math.floor((next - now) / 1000));
      var h = Math.floor(seconds / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      clock.textContent = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
      label.textContent = format(labels.next_slot, { time: hhmm(new Date(next).toISOString()) });
    }
    root.querySelectorAll("[data-slot]").forEach(function (section) {
      var start = Date.parse(section.dataset.slot);
      var end = start + (snapshot.fair.meeting_minutes || 0) * 60000;
      section.classList.toggle("is-current", start <= now && now < end);
    });
  }

  // --- forms and buttons ----------------------------------------------------------------------------

  function formStatus(form, text, isError) {
    var status = form.querySelector("[data-form-status]");
    status.textContent = text;
    status.classList.toggle("live-error", !!isError);
  }

  root.querySelector("[data-settings-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var minutes = Number(form.elements.no_show_after_minutes.value);
    api(root.dataset.settingsUrl, "PATCH", { no_show_after_minutes: minutes }).then(function (data) {
      formStatus(form, labels.saved);
      applySettings(data);
      if (!board.live) resync();
    }).catch(function (error) { formStatus(form, error.message, true); });
  });

  root.querySelector("[data-announce-form]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    api(root.dataset.announceUrl, "POST", { message: form.elements.message.value }).then(function () {
      form.reset();
      formStatus(form, labels.sent);
      if (!board.live) resync();
    }).catch(function (error) { formStatus(form, error.message, true); });
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reassign-to]");
    if (button && root.contains(button)) { reassign(button); return; }
    var start = event.target.closest("[data-start-day]");
    if (start) {
      start.disabled = true;
      api(root.dataset.startDayUrl, "POST", {}).then(function () { resync(); }).catch(function (error) {
        start.disabled = false;
        say(error.message, true);
      });
    }
  });

  // --- start ----------------------------------------------------------------------------------------

  applySnapshot(JSON.parse(document.getElementById("live-board-snapshot").textContent));
  setInterval(tickCountdown, 1000);
  tick();
  setInterval(tick, TICK_MS);

  function subscribe() {
    var client = window.TradeOnLive;
    if (!client || typeof client.subscribe !== "function") return false;
    client.subscribe(root.dataset.liveStream, {
      since: board.seq, // events after the embedded snapshot are fetched first
      onEvent: onEvent,
      // Reload the snapshot and hand its number back: only events after it are fetched.
      onResync: function () { return resync().then(function () { return board.seq; }); },
    });
    if (typeof client.on === "function") {
      client.on("status", function (status) {
        board.live = status === "connected";
        setConnection(board.live ? "live" : "offline");
      });
    }
    board.live = client.status === "connected";
    setConnection(board.live ? "live" : "offline");
    return true;
  }

  // live.js is loaded with defer before this script; without it, or while its connection is
  // down, the tick refetches the snapshot instead (polling).
  if (!subscribe()) setConnection("polling");
})();
