/* A meeting's video room (templates/fairs/room.html): a device check (camera preview, microphone
   level, device pickers), then a WebRTC call with everyone in the room, peer to peer, and the
   room's chat. Signalling and chat go over the room's websocket; its protocol is described in
   realtime/rooms.py. Plain JavaScript, no libraries.

   Each pair of connections has one RTCPeerConnection (a mesh; a room holds a handful of people:
   the SME, the buyer, an interpreter, staff). Of each pair the connection with the higher peer id
   makes the offer: a newcomer's id is the highest, so it calls everyone already there.

   For tests and the curious: window.TradeOnRoom = {peers: Map(peer id -> RTCPeerConnection),
   state, join(), leave(), framesDecoded()}; the page root #room carries data-state
   (checking, ready, joining, joined, left, refused). */
(function () {
  "use strict";

  var root = document.getElementById("room");
  if (!root) return;
  var S = JSON.parse(document.getElementById("room-strings").textContent);

  function $(id) { return document.getElementById(id); }
  var ui = {
    deviceCheck: $("device-check"), preview: $("local-preview"), previewPlaceholder: $("preview-placeholder"),
    cameraSelect: $("camera-select"), micSelect: $("mic-select"), meter: $("mic-meter"), level: $("mic-level"),
    deviceMessage: $("device-message"), join: $("join-button"), retry: $("retry-devices"),
    call: $("call"), status: $("room-status"), localVideo: $("local-video"), localMuted: $("local-muted"),
    remote: $("remote-videos"), waiting: $("waiting-note"), tileTemplate: $("remote-tile-template"),
    mute: $("mute-button"), camera: $("camera-button"), leave: $("leave-button"),
    leftPanel: $("left-panel"), leftMessage: $("left-message"), rejoin: $("rejoin-button"),
    chatLog: $("chat-log"), chatForm: $("chat-form"), chatText: $("chat-text"), chatSend: $("chat-send"),
    chatError: $("chat-error")
  };

  var REFUSALS = [4401, 4403, 4404, 4410];
  var HEARTBEAT_MS = 25000;
  var PONG_WAIT_MS = 10000;

  var peers = new Map();      // peer id -> RTCPeerConnection
  var people = new Map();     // peer id -> {side, name, party, tile, video, stream, queue, pending, mediaAdded}
  var state = {
    phase: "checking", ws: "closed", peer: null, side: root.dataset.side, iceServers: [],
    audio: false, video: false, micOn: true, cameraOn: true, error: null, closeCode: null
  };
  var localStream = null;
  var socket = null;
  var leaving = false;
  var retries = 0;
  var opened = false;
  var pingTimer = null;
  var pongTimer = null;
  var meterStop = null;
  var pendingChat = null;

  window.TradeOnRoom = {
    peers: peers, state: state, join: join, leave: leave, framesDecoded: framesDecoded,
    localStream: function () { return localStream; }
  };

  function setPhase(phase) {
    state.phase = phase;
    root.dataset.state = phase;
  }

  function deviceMessage(text, kind) {
    ui.deviceMessage.textContent = text;
    ui.deviceMessage.className = "alert alert-" + (kind || "info");
  }

  function connectionStatus(key, text) {
    ui.status.dataset.state = key;
    ui.status.textContent = text || S[key] || key;
  }

  // --- this device's time for the meeting ---------------------------------------------------------

  (function deviceTime() {
    var cell = $("device-time");
    if (!cell || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === cell.dataset.zone) return;
    var starts = new Date(cell.dataset.startsAt), ends = new Date(cell.dataset.endsAt);
    var day = new Intl.DateTimeFormat(undefined, { weekday: "short", year: "numeric", month: "2-digit", day: "2-digit" });
    var hour = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
    cell.textContent = day.format(starts) + " " + hour.format(starts).replace(/\s*\S+$/, "") + "–" + hour.format(ends) + " (" + zone + ")";
    $("device-time-row").hidden = false;
  })();

  // --- the device check ----------------------------------------------------------------------------

  function stopLocal() {
    if (meterStop) { meterStop(); meterStop = null; }
    if (localStream) localStream.getTracks().forEach(function (t) { t.stop(); });
    localStream = null;
    state.audio = state.video = false;
  }

  function mediaConstraints(kind) {
    var select = kind === "audio" ? ui.micSelect : ui.cameraSelect;
    var chosen = select && select.value;
    var c = kind === "video" ? { width: { ideal: 640 }, height: { ideal: 360 } } : {};
    if (chosen) c.deviceId = { exact: chosen };
    return c;
  }

  async function acquire() {
    // Both, then each alone: a laptop without a camera still joins with its microphone.
    var tries = [
      { audio: mediaConstraints("audio"), video: mediaConstraints("video") },
      { audio: mediaConstraints("audio") },
      { video: mediaConstraints("video") }
    ];
    var firstError = null;
    for (var i = 0; i < tries.length; i++) {
      try {
        return { stream: await navigator.mediaDevices.getUserMedia(tries[i]), error: firstError };
      } catch (error) {
        if (!firstError) firstError = error;
        if (error.name === "NotAllowedError" || error.name === "SecurityError") break;
        if (error.name === "OverconstrainedError") {
          // A chosen device is gone: fall back to the defaults.
          ui.cameraSelect.value = ""; ui.micSelect.value = "";
        }
      }
    }
    return { stream: null, error: firstError };
  }

  function fillSelect(select, devices, selectedId, noneLabel) {
    select.textContent = "";
    if (!devices.length) {
      select.appendChild(new Option(noneLabel, ""));
      select.disabled = true;
      return;
    }
    devices.forEach(function (device, index) {
      var option = new Option(device.label || S.device + " " + (index + 1), device.deviceId);
      option.selected = device.deviceId === selectedId;
      select.appendChild(option);
    });
    select.disabled = false;
  }

  async function listDevices() {
    if (!navigator.mediaDevices.enumerateDevices) return;
    var devices = await navigator.mediaDevices.enumerateDevices();
    var settingOf = function (kind) {
      var track = localStream && localStream.getTracks().filter(function (t) { return t.kind === kind; })[0];
      return track && track.getSettings ? track.getSettings().deviceId : "";
    };
    fillSelect(ui.cameraSelect, devices.filter(function (d) { return d.kind === "videoinput"; }), settingOf("video"), S.no_camera);
    fillSelect(ui.micSelect, devices.filter(function (d) { return d.kind === "audioinput"; }), settingOf("audio"), S.no_mic);
  }

  function showMeter(stream) {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext || !stream.getAudioTracks().length) return;
    var context = new AudioContext();
    var analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    // Only into the analyser, never to the speakers: no echo of one's own voice.
    context.createMediaStreamSource(stream).connect(analyser);
    var samples = new Float32Array(analyser.fftSize);
    var running = true;
    var timer = setInterval(function () {
      if (!running) return;
      if (context.state === "suspended") context.resume().catch(function () {});
      analyser.getFloatTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
      // Loudness in decibels, -60 dB (silence) to 0 dB (full scale), as a percentage.
      var decibels = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-6);
      var level = Math.max(0, Math.min(100, Math.round((decibels + 60) * 100 / 60)));
      ui.level.style.width = level + "%";
      ui.meter.setAttribute("aria-valuenow", String(level));
    }, 100);
    meterStop = function () {
      running = false;
      clearInterval(timer);
      context.close().catch(function () {});
      ui.level.style.width = "0%";
      ui.meter.setAttribute("aria-valuenow", "0");
    };
  }

  function mediaErrorMessage(error) {
    if (!error) return S.no_devices;
    switch (error.name) {
      case "NotAllowedError": case "SecurityError": return S.denied;
      case "NotFoundError": case "OverconstrainedError": return S.no_devices;
      case "NotReadableError": case "AbortError": return S.in_use;
      default: return S.failed + " " + (error.message || error.name);
    }
  }

  async function checkDevices() {
    setPhase("checking");
    ui.join.disabled = true;
    ui.retry.hidden = true;
    stopLocal();
    if (!window.RTCPeerConnection || !window.WebSocket) {
      deviceMessage(S.unsupported, "error");
      return;
    }
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      deviceMessage(S.insecure, "error");
      ui.join.textContent = S.join_without;
      ui.join.disabled = false;
      setPhase("ready");
      return;
    }
    deviceMessage(S.asking, "info");
    var result = await acquire();
    localStream = result.stream;
    state.audio = !!(localStream && localStream.getAudioTracks().length);
    state.video = !!(localStream && localStream.getVideoTracks().length);
    ui.preview.srcObject = state.video ? localStream : null;
    ui.previewPlaceholder.hidden = state.video;
    try { await listDevices(); } catch (error) { /* pickers stay as they are */ }
    if (state.audio) showMeter(localStream);
    if (state.audio && state.video) deviceMessage(S.ready, "success");
    else if (state.audio) deviceMessage(S.audio_only, "warning");
    else if (state.video) deviceMessage(S.video_only, "warning");
    else deviceMessage(mediaErrorMessage(result.error), "error");
    state.error = result.error ? result.error.name : null;
    ui.retry.hidden = state.audio && state.video;
    ui.join.textContent = localStream ? S.join : S.join_without;
    ui.join.disabled = false;
    setPhase("ready");
  }

  ui.retry.addEventListener("click", checkDevices);
  ui.cameraSelect.addEventListener("change", checkDevices);
  ui.micSelect.addEventListener("change", checkDevices);

  // --- joining and leaving -------------------------------------------------------------------------

  function join() {
    if (state.phase === "joining" || state.phase === "joined") return;
    leaving = false;
    retries = 0;
    setPhase("joining");
    if (meterStop) { meterStop(); meterStop = null; }
    ui.preview.srcObject = null;
    ui.deviceCheck.hidden = true;
    ui.leftPanel.hidden = true;
    ui.call.hidden = false;
    ui.localVideo.srcObject = state.video ? localStream : null;
    ui.localVideo.closest("figure").classList.toggle("no-video", !state.video);
    state.micOn = state.audio;
    state.cameraOn = state.video;
    ui.mute.disabled = !state.audio;
    ui.camera.disabled = !state.video;
    renderControls();
    connect();
  }

  function leave() {
    leaving = true;
    if (socket) socket.close(1000);
    dropPeers();
    stopLocal();
    stopHeartbeat();
    chatEnabled(false);
    ui.call.hidden = true;
    ui.leftPanel.hidden = false;
    setPhase("left");
  }

  ui.join.addEventListener("click", join);
  ui.leave.addEventListener("click", leave);
  ui.rejoin.addEventListener("click", function () {
    ui.leftPanel.hidden = true;
    ui.deviceCheck.hidden = false;
    checkDevices();
  });

  function refused(code) {
    state.closeCode = code;
    leaving = true;
    dropPeers();
    stopLocal();
    chatEnabled(false);
    ui.call.hidden = true;
    ui.deviceCheck.hidden = true;
    ui.leftPanel.hidden = false;
    ui.rejoin.hidden = true;
    ui.leftMessage.textContent = S["refused_" + code] || S.refused_4403;
    setPhase("refused");
  }

  // --- the websocket ---------------------------------------------------------------------------------

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    opened = false;
    state.ws = "connecting";
    connectionStatus(retries ? "reconnecting" : "connecting");
    socket = new WebSocket(scheme + location.host + root.dataset.wsPath);
    var mine = socket;
    socket.onopen = function () {
      opened = true;
      state.ws = "open";
      startHeartbeat();
    };
    socket.onmessage = function (event) {
      if (mine !== socket) return;
      var frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      onFrame(frame);
    };
    socket.onclose = function (event) {
      if (mine !== socket) return;
      var wasOpen = opened;
      state.ws = "closed";
      stopHeartbeat();
      dropPeers();
      chatEnabled(false);
      if (leaving) return;
      if (REFUSALS.indexOf(event.code) >= 0) { refused(event.code); return; }
      // A refused handshake reaches the browser without its code: ask the API why.
      (wasOpen ? Promise.resolve(null) : whyRefused()).then(function (code) {
        if (code) { refused(code); return; }
        retries += 1;
        connectionStatus("reconnecting");
        setTimeout(function () { if (!leaving) connect(); }, Math.min(30000, 1000 * Math.pow(2, Math.min(retries - 1, 5))));
      });
    };
  }

  async function whyRefused() {
    try {
      var response = await fetch("/api/v1/meetings/" + root.dataset.meeting + "/attendance/?page_size=1", {
        credentials: "same-origin", headers: { Accept: "application/json" }
      });
      if (response.status === 404) return 4404;
      if (response.status === 401) return 4401;
      if (response.status === 403) {
        var body = await response.json().catch(function () { return {}; });
        return body.code === "not_authenticated" ? 4401 : 4403;
      }
      if (response.ok) {
        // Allowed in, so the room itself is closed (cancelled meanwhile), or the network failed.
        var page = await fetch(location.href, { credentials: "same-origin" });
        if (page.ok && (await page.text()).indexOf('id="room-closed"') >= 0) return 4410;
      }
    } catch (error) { /* offline: retry */ }
    return null;
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function startHeartbeat() {
    stopHeartbeat();
    pingTimer = setInterval(function () {
      send({ type: "ping" });
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () { if (socket) socket.close(4000); }, PONG_WAIT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "welcome": onWelcome(frame); break;
      case "peer-joined":
        addPerson(frame, true);
        if (state.peer > frame.peer) call(frame.peer);
        announceMedia();
        break;
      case "peer-left": removePerson(frame.peer, true); break;
      case "signal": onSignal(frame.from, frame.data); break;
      case "chat": addChat(frame.message); break;
      case "media": showRemoteMedia(frame); break;
      case "pong": clearTimeout(pongTimer); break;
      case "error": onError(frame); break;
    }
  }

  function onWelcome(frame) {
    retries = 0;
    state.peer = frame.peer;
    state.side = frame.side;
    state.user = frame.user;
    state.iceServers = frame.ice_servers || [];
    state.closeCode = null;
    ui.chatLog.textContent = "";
    (frame.chat || []).forEach(addChat);
    setPhase("joined");
    connectionStatus("connected");
    chatEnabled(true);
    frame.peers.forEach(function (person) {
      addPerson(person, false);
      if (state.peer > person.peer) call(person.peer);
    });
    announceMedia();
  }

  function onError(frame) {
    if (frame.field === "text" || frame.code === "slow_down" || (pendingChat !== null && frame.code === "room_closed")) {
      ui.chatError.textContent = frame.message;
      if (pendingChat !== null && !ui.chatText.value) ui.chatText.value = pendingChat;
      pendingChat = null;
    } else if (window.console) {
      console.warn("room:", frame.code, frame.message);
    }
  }

  // --- people and their peer connections -------------------------------------------------------------

  function sideLabel(side) { return (S.sides && S.sides[side]) || side || ""; }

  function addPerson(info, announce) {
    var person = people.get(info.peer);
    if (person) {
      // Known from an early signal: now we know who it is.
      if (info.name && !person.name) labelPerson(person, info);
      return person;
    }
    var tile = ui.tileTemplate.content.firstElementChild.cloneNode(true);
    tile.dataset.peer = String(info.peer);
    tile.id = "peer-" + info.peer;
    var video = tile.querySelector("video");
    video.id = "remote-video-" + info.peer;
    video.dataset.peerVideo = String(info.peer);
    ui.remote.appendChild(tile);
    person = {
      tile: tile, video: video, stream: new MediaStream(), queue: Promise.resolve(), pending: [], mediaAdded: false
    };
    labelPerson(person, info);
    video.srcObject = person.stream;
    people.set(info.peer, person);
    showPeerState(info.peer, "new");
    ui.waiting.hidden = true;
    if (announce) systemLine((info.name || sideLabel(info.side)) + " " + S.joined_room);
    return person;
  }

  function labelPerson(person, info) {
    person.side = info.side;
    person.name = info.name;
    person.party = info.party;
    person.tile.dataset.side = info.side || "";
    person.tile.querySelector(".tile-name").textContent = info.name || "";
    var party = info.party && (info.side === "sme" || info.side === "buyer") ? " · " + info.party : "";
    person.tile.querySelector(".tile-side").textContent = sideLabel(info.side) + party;
  }

  function removePerson(id, announce) {
    var pc = peers.get(id);
    if (pc) { pc.close(); peers.delete(id); }
    var person = people.get(id);
    if (!person) return;
    person.tile.remove();
    people.delete(id);
    ui.waiting.hidden = people.size > 0;
    if (announce) systemLine((person.name || sideLabel(person.side)) + " " + S.left_room);
  }

  function dropPeers() {
    Array.from(people.keys()).forEach(function (id) { removePerson(id, false); });
    peers.forEach(function (pc) { pc.close(); });
    peers.clear();
  }

  function showPeerState(id, key) {
    var person = people.get(id);
    if (!person) return;
    var label = person.tile.querySelector("[data-peer-state]");
    label.dataset.peerState = key;
    label.textContent = S["peer_" + key] || key;
    person.tile.dataset.state = key;
  }

  function connectionFor(id) {
    var pc = peers.get(id);
    if (pc) return pc;
    var person = people.get(id) || addPerson({ peer: id, side: "", name: "" }, false);
    pc = new RTCPeerConnection({ iceServers: state.iceServers });
    pc.onicecandidate = function (event) {
      if (event.candidate) send({ type: "signal", to: id, data: { candidate: event.candidate.toJSON() } });
    };
    pc.ontrack = function (event) {
      if (person.stream.getTracks().indexOf(event.track) < 0) person.stream.addTrack(event.track);
      play(person.video);
    };
    pc.onconnectionstatechange = function () {
      showPeerState(id, pc.connectionState);
      // The caller of the pair tries again with fresh ICE (a network change, a TURN hiccup).
      if (pc.connectionState === "failed" && state.peer > id && peers.get(id) === pc) call(id, true);
    };
    peers.set(id, pc);
    return pc;
  }

  function play(video) {
    var attempt = video.play();
    if (attempt && attempt.catch) {
      attempt.catch(function () {
        // The browser wants a click before playing sound: play muted and let a click unmute.
        video.muted = true;
        video.play().catch(function () {});
        video.addEventListener("click", function () { video.muted = false; }, { once: true });
      });
    }
  }

  function addLocalMedia(pc, answering) {
    ["audio", "video"].forEach(function (kind) {
      var track = localStream && localStream.getTracks().filter(function (t) { return t.kind === kind; })[0];
      if (answering) {
        // Send on the transceiver the offer made for this kind, if there is one.
        var transceiver = pc.getTransceivers().filter(function (tr) {
          return tr.receiver.track && tr.receiver.track.kind === kind && !tr.sender.track && !tr.stopped;
        })[0];
        if (track && transceiver) {
          transceiver.sender.replaceTrack(track);
          if (transceiver.sender.setStreams) transceiver.sender.setStreams(localStream);
          transceiver.direction = "sendrecv";
        } else if (track) {
          pc.addTrack(track, localStream);
        }
      } else if (track) {
        pc.addTrack(track, localStream);
      } else {
        pc.addTransceiver(kind, { direction: "recvonly" });
      }
    });
  }

  function serially(id, work) {
    var person = people.get(id) || addPerson({ peer: id, side: "", name: "" }, false);
    person.queue = person.queue.then(work).catch(function (error) {
      if (window.console) console.warn("room: peer", id, error);
    });
  }

  function call(id, iceRestart) {
    serially(id, async function () {
      var pc = connectionFor(id);
      var person = people.get(id);
      if (!person.mediaAdded) { addLocalMedia(pc, false); person.mediaAdded = true; }
      var offer = await pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await pc.setLocalDescription(offer);
      // The offer as created, not localDescription: that one grows with the gathered candidates.
      send({ type: "signal", to: id, data: { sdp: { type: offer.type, sdp: offer.sdp } } });
    });
  }

  function onSignal(from, data) {
    if (!data) return;
    serially(from, async function () {
      var pc = connectionFor(from);
      var person = people.get(from);
      if (data.sdp) {
        if (data.sdp.type === "offer") {
          if (pc.signalingState !== "stable") await pc.setLocalDescription({ type: "rollback" });
          await pc.setRemoteDescription(data.sdp);
          if (!person.mediaAdded) { addLocalMedia(pc, true); person.mediaAdded = true; }
          var answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          send({ type: "signal", to: from, data: { sdp: { type: answer.type, sdp: answer.sdp } } });
        } else if (pc.signalingState === "have-local-offer") {
          await pc.setRemoteDescription(data.sdp);
        }
        // Candidates that came before the description they belong to.
        var early = person.pending.splice(0);
        for (var i = 0; i < early.length; i++) {
          await pc.addIceCandidate(early[i]).catch(function () {});
        }
      } else if (data.candidate) {
        if (!pc.remoteDescription) person.pending.push(data.candidate);
        else await pc.addIceCandidate(data.candidate);
      }
    });
  }

  async function framesDecoded() {
    var counts = {};
    for (var entry of peers) {
      var stats = await entry[1].getStats();
      var frames = 0;
      stats.forEach(function (report) {
        if (report.type === "inbound-rtp" && report.kind === "video") frames += report.framesDecoded || 0;
      });
      counts[entry[0]] = frames;
    }
    return counts;
  }

  // --- microphone and camera in the call -----------------------------------------------------------------

  function renderControls() {
    ui.mute.textContent = state.micOn ? S.mute : S.unmute;
    ui.mute.setAttribute("aria-pressed", String(state.audio && !state.micOn));
    ui.camera.textContent = state.cameraOn ? S.camera_off : S.camera_on;
    ui.camera.setAttribute("aria-pressed", String(state.video && !state.cameraOn));
    ui.localMuted.hidden = state.micOn;
    ui.localVideo.closest("figure").classList.toggle("no-video", !state.cameraOn);
  }

  function announceMedia() {
    send({ type: "media", audio: state.micOn, video: state.cameraOn });
  }

  function setTracks(kind, on) {
    if (localStream) localStream.getTracks().forEach(function (t) { if (t.kind === kind) t.enabled = on; });
  }

  ui.mute.addEventListener("click", function () {
    if (!state.audio) return;
    state.micOn = !state.micOn;
    setTracks("audio", state.micOn);
    renderControls();
    announceMedia();
  });

  ui.camera.addEventListener("click", function () {
    if (!state.video) return;
    state.cameraOn = !state.cameraOn;
    setTracks("video", state.cameraOn);
    renderControls();
    announceMedia();
  });

  function showRemoteMedia(frame) {
    var person = people.get(frame.peer);
    if (!person) return;
    person.tile.querySelector(".tile-muted").hidden = frame.audio;
    person.tile.classList.toggle("no-video", !frame.video);
  }

  // --- chat ---------------------------------------------------------------------------------------------------

  var chatPlaceholder = ui.chatText.placeholder;

  function chatEnabled(on) {
    ui.chatText.disabled = !on;
    ui.chatSend.disabled = !on;
    ui.chatText.placeholder = on ? "" : chatPlaceholder;
  }

  function timeOf(iso) {
    var at = new Date(iso);
    return isNaN(at) ? "" : at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function scrollChat() { ui.chatLog.scrollTop = ui.chatLog.scrollHeight; }

  function addChat(message) {
    if (ui.chatLog.querySelector('[data-id="' + message.id + '"]')) return;
    var line = document.createElement("li");
    line.className = "chat-line";
    line.dataset.id = String(message.id);
    line.dataset.side = message.side;
    if (message.author_id === state.user) pendingChat = null;
    var author = document.createElement("span");
    author.className = "chat-author";
    author.textContent = message.author;
    var side = document.createElement("span");
    side.className = "badge chat-side";
    side.textContent = sideLabel(message.side);
    var at = document.createElement("time");
    at.className = "small muted";
    at.dateTime = message.at;
    at.textContent = timeOf(message.at);
    var text = document.createElement("p");
    text.textContent = message.text;
    line.append(author, " ", side, " ", at, text);
    ui.chatLog.appendChild(line);
    scrollChat();
  }

  function systemLine(text) {
    var line = document.createElement("li");
    line.className = "chat-system small muted";
    line.textContent = text;
    ui.chatLog.appendChild(line);
    scrollChat();
  }

  ui.chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = ui.chatText.value.trim();
    ui.chatError.textContent = "";
    if (!text) return;
    if (!send({ type: "chat", text: text })) {
      ui.chatError.textContent = S.chat_offline;
      return;
    }
    pendingChat = text;
    ui.chatText.value = "";
  });

  ui.chatText.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.chatForm.requestSubmit ? ui.chatForm.requestSubmit() : ui.chatForm.dispatchEvent(new Event("submit"));
    }
  });

  // Chat times from the server are rendered in the viewer's zone; show them in this device's.
  Array.prototype.forEach.call(ui.chatLog.querySelectorAll("time[datetime]"), function (at) {
    at.textContent = timeOf(at.dateTime);
  });
  scrollChat();

  window.addEventListener("pagehide", function () {
    leaving = true;
    if (socket) socket.close(1000);
  });
  // Back to a page the browser kept (back/forward cache): its call is over; start afresh.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) location.reload();
  });

  checkDevices();
})();
