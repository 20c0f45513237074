/* Trade On notifications: the bell's unread count and toasts as notifications arrive on the
   signed-in user's own stream, through TradeOnLive (live.js). No build step.

   The bell (templates/realtime/_bell.html) carries the stream, the number the page was drawn at
   (data-seq) and the read mark (data-read-seq). Numbers on a stream have no gaps, so the unread
   count is simply newest - read mark; the mark moves when this or another tab marks read (a
   "read" frame) and is refreshed by every "hello". On the notifications page (a list marked
   data-live-prepend) new ones are added at the top. */
(function () {
  "use strict";

  var MAX_TOASTS = 3;
  var TOAST_SECONDS = 8;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // Only this site's own paths become links, whatever an event's data holds.
  function localUrl(value) {
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" && value.charAt(1) !== "\\"
      ? value
      : "";
  }

  function init() {
    var bell = document.querySelector("[data-bell]");
    if (!bell || !window.TradeOnLive || !bell.dataset.stream) return;
    var key = bell.dataset.stream;
    var newest = parseInt(bell.dataset.seq, 10) || 0;
    var readSeq = parseInt(bell.dataset.readSeq, 10) || 0;
    var count = bell.querySelector("[data-bell-count]");
    var toasts = document.querySelector("[data-toasts]");
    var list = document.querySelector("[data-notification-list][data-live-prepend]");
    var summary = document.querySelector("[data-notification-summary]");
    var markAll = document.querySelector("[data-mark-all-read]");

    function render() {
      var unread = Math.max(newest - readSeq, 0);
      count.textContent = unread > 99 ? "99+" : String(unread);
      count.hidden = unread === 0;
      bell.classList.toggle("has-unread", unread > 0);
      bell.setAttribute("aria-label", (bell.dataset.label || "").replace("__number__", unread));
      if (summary && summary.dataset.label) summary.textContent = summary.dataset.label.replace("__number__", unread);
      if (markAll) {
        markAll.elements.up_to.value = newest;
        markAll.querySelector("button").disabled = unread === 0;
      }
      document.querySelectorAll(".notification.is-unread[data-seq]").forEach(function (item) {
        if (parseInt(item.dataset.seq, 10) > readSeq) return;
        item.classList.remove("is-unread");
        var label = item.querySelector(".sr-only");
        if (label) label.remove();
      });
    }

    function markRead(seq) {
      // keepalive: the click that sends this also leaves the page.
      fetch(toasts.dataset.markReadUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ up_to: seq }),
      }).catch(function () { /* the mark stays where it was; nothing is lost */ });
    }

    function dismiss(item) {
      clearTimeout(item._timer);
      item.remove();
    }

    function toast(frame) {
      var data = frame.data || {};
      if (!toasts || !data.message) return;
      var item = document.createElement("div");
      item.className = "toast";
      item.dataset.seq = frame.seq;
      var url = localUrl(data.url);
      var body = document.createElement(url ? "a" : "span");
      body.className = "toast-message";
      body.textContent = data.message;
      if (url) {
        body.href = url;
        body.addEventListener("click", function () { markRead(frame.seq); });
      }
      var close = document.createElement("button");
      close.type = "button";
      close.className = "toast-close";
      close.setAttribute("aria-label", toasts.dataset.dismissLabel || "Dismiss");
      close.textContent = "\u00d7";
      close.addEventListener("click", function () { dismiss(item); });
      item.appendChild(body);
      item.appendChild(close);
      // A toast stays while the pointer or the keyboard is on it.
      function later() {
        clearTimeout(item._timer);
        item._timer = setTimeout(function () { dismiss(item); }, TOAST_SECONDS * 1000);
      }
      item.addEventListener("mouseenter", function () { clearTimeout(item._timer); });
      item.addEventListener("focusin", function () { clearTimeout(item._timer); });
      item.addEventListener("mouseleave", later);
      item.addEventListener("focusout", later);
      toasts.appendChild(item);
      while (toasts.children.length > MAX_TOASTS) dismiss(toasts.firstElementChild);
      later();
    }

    function prepend(frame) {
      var data = frame.data || {};
      if (!list || list.querySelector('[data-seq="' + frame.seq + '"]')) return;
      var empty = list.querySelector("[data-notification-empty]");
      if (empty) empty.remove();
      var item = document.createElement("li");
      item.className = "notification is-unread";
      item.dataset.seq = frame.seq;
      var dot = document.createElement("span");
      dot.className = "notification-dot";
      dot.setAttribute("aria-hidden", "true");
      var body = document.createElement("div");
      body.className = "notification-body";
      var label = document.createElement("span");
      label.className = "sr-only";
      label.textContent = list.dataset.unreadLabel || "";
      var url = localUrl(data.url);
      var message = document.createElement(url ? "a" : "span");
      if (url) message.href = url;
      message.textContent = data.message || frame.kind;
      var time = document.createElement("time");
      time.className = "muted small";
      time.dateTime = frame.at || "";
      time.textContent = list.dataset.justNow || "";
      body.appendChild(label);
      body.appendChild(message);
      body.appendChild(document.createTextNode(" "));
      body.appendChild(time);
      item.appendChild(dot);
      item.appendChild(body);
      list.insertBefore(item, list.firstChild);
    }

    TradeOnLive.subscribe(key, {
      since: newest,
      onEvent: function (frame) {
        newest = Math.max(newest, frame.seq);
        prepend(frame);
        toast(frame);
        render();
      },
    });
    TradeOnLive.on("hello", function (frame) {
      if (typeof frame.read_seq === "number") {
        readSeq = Math.max(readSeq, frame.read_seq);
        render();
      }
    });
    TradeOnLive.on("read", function (frame) {
      if (frame.stream !== key) return;
      readSeq = Math.max(readSeq, frame.read_seq);
      render();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
