// sluice.js — the behaviour of sluice's web UI: live tail, keyboard,
// expanding events, the sidebar, times in the browser's time zone.
//
// Everything shown comes from logs and is untrusted: text goes into the page
// with textContent only, never innerHTML. The page's Content-Security-Policy
// allows this file and htmx, nothing inline.
(function () {
  "use strict";

  var SEVERITIES = ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // MAX_LINES bounds live tail's rows in the page: a browser stays fast
  // with a few thousand rows, not with a million.
  var MAX_LINES = 5000;

  function pad(n, w) {
    var s = String(n);
    while (s.length < w) s = "0" + s;
    return s;
  }

  function fmtCount(n) { return n.toLocaleString("en-US"); }

  // fmtTime writes d in local time: "Nov 21 10:00:00.123" (f "ms") or
  // "Nov 21 10:00" (f "m").
  function fmtTime(d, f) {
    var s = MONTHS[d.getMonth()] + " " + pad(d.getDate(), 2) + " " + pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2);
    if (f === "ms") s += ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
    else if (f === "s") s += ":" + pad(d.getSeconds(), 2);
    return s;
  }

  // parseTime reads sluice's RFC 3339 times with nanoseconds, which
  // Date.parse does not promise to read.
  function parseTime(s) {
    if (!s) return null;
    var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(s);
    var t = m ? Date.parse(m[1] + (m[2] ? (m[2] + "000").slice(0, 4) : "") + m[3]) : Date.parse(s);
    return isNaN(t) ? null : new Date(t);
  }

  // localize rewrites the server's UTC times under root in local time.
  function localize(root) {
    var times = root.querySelectorAll("time[data-f]");
    for (var i = 0; i < times.length; i++) {
      var d = parseTime(times[i].getAttribute("datetime"));
      if (d) times[i].textContent = fmtTime(d, times[i].getAttribute("data-f"));
    }
    var bars = root.querySelectorAll("svg.chart g[data-t0]");
    for (var j = 0; j < bars.length; j++) {
      var g = bars[j], t0 = parseTime(g.getAttribute("data-t0")), t1 = parseTime(g.getAttribute("data-t1"));
      var title = g.querySelector("title");
      if (t0 && t1 && title) title.textContent = fmtTime(t0, "s") + " – " + fmtTime(t1, "s").slice(7) + " · " + g.getAttribute("data-c");
    }
  }

  // source says where an event belongs, as the server's eventSource does.
  function source(ev) {
    if (ev.group) return ev.stream ? ev.group + " " + ev.stream : ev.group;
    if (ev.app) return ev.proc ? ev.app + "[" + ev.proc + "]" : ev.app;
    return ev.host || "";
  }

  // A row is cloned from this one and filled with textContent: the same
  // markup as the server's rows template.
  var rowTemplate = (function () {
    var r = document.createElement("div");
    r.className = "ev";
    r.tabIndex = 0;
    r.appendChild(document.createElement("time")).setAttribute("data-f", "ms");
    r.appendChild(document.createElement("span")).className = "sv";
    r.appendChild(document.createElement("span")).className = "src";
    r.appendChild(document.createElement("span")).className = "msg";
    return r;
  })();

  function makeRow(ev, json) {
    var r = rowTemplate.cloneNode(true);
    var sev = ev.severity >= 0 && ev.severity <= 7 ? ev.severity : 6;
    r.className = "ev s" + sev;
    r._json = json; // the expanded view is built from it when asked
    var ts = ev.time || ev.received || "";
    var d = parseTime(ts);
    var c = r.childNodes;
    c[0].setAttribute("datetime", ts);
    c[0].textContent = d ? fmtTime(d, "ms") : "";
    c[1].textContent = ev.severity_name || SEVERITIES[sev];
    var src = source(ev);
    c[2].textContent = src;
    c[2].title = src;
    c[3].textContent = ev.message || "";
    return r;
  }

  // ---- expanding an event ----

  function pageURL(q) {
    var p = new URLSearchParams(location.search);
    p.set("q", q);
    if (!p.get("mode")) p.set("mode", "search");
    return "/?" + p.toString();
  }

  function quoteValue(v) {
    if (v && !/[\s()"\\]/.test(v) && !/^[<>=]/.test(v)) return v;
    return '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  }

  function buildDetail(ev, json) {
    var det = document.createElement("div");
    det.className = "detail";
    var dl = det.appendChild(document.createElement("dl"));
    function add(k, v) {
      if (v === undefined || v === null || v === "") return;
      dl.appendChild(document.createElement("dt")).textContent = k;
      dl.appendChild(document.createElement("dd")).textContent = typeof v === "string" ? v : JSON.stringify(v);
    }
    function addTime(k, s) {
      var d = parseTime(s);
      add(k, s ? s + (d ? "  ·  " + fmtTime(d, "ms") + " " + d.getFullYear() + " local" : "") : "");
    }
    addTime("time", ev.time);
    addTime("received", ev.received);
    add("severity", (ev.severity_name || SEVERITIES[ev.severity]) + " (" + ev.severity + ")");
    ["severity_source", "facility", "host", "app", "proc", "msgid", "group", "stream", "source", "id"].forEach(function (k) { add(k, ev[k]); });
    if (ev.fields) {
      Object.keys(ev.fields).forEach(function (k) { add("fields." + k, ev.fields[k]); });
    }
    det.appendChild(document.createElement("pre")).textContent = ev.message || "";
    var actions = det.appendChild(document.createElement("div"));
    actions.className = "actions";
    var copy = actions.appendChild(document.createElement("button"));
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = "Copy JSON";
    var pretty = JSON.stringify(ev, null, 2);
    copy.addEventListener("click", function () { copyText(pretty, copy); });
    if (ev.group) {
      var a = actions.appendChild(document.createElement("a"));
      a.href = pageURL("group:" + quoteValue(ev.group));
      a.textContent = "Only group " + ev.group;
      if (ev.stream) {
        var b = actions.appendChild(document.createElement("a"));
        b.href = pageURL("group:" + quoteValue(ev.group) + " stream:" + quoteValue(ev.stream));
        b.textContent = "Only stream " + ev.stream;
      }
    }
    return det;
  }

  function copyText(text, btn) {
    function done(ok) {
      btn.textContent = ok ? "Copied" : "Cannot copy: select the text instead";
      setTimeout(function () { btn.textContent = "Copy JSON"; }, 1500);
    }
    function fallback() {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.className = "offscreen";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
      done(ok);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  }

  function toggle(row) {
    var next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      row.classList.remove("open");
      row.setAttribute("aria-expanded", "false");
      return;
    }
    var json = row._json || row.getAttribute("data-ev");
    var ev;
    try { ev = JSON.parse(json); } catch (e) { return; }
    row.after(buildDetail(ev, json));
    row.classList.add("open");
    row.setAttribute("aria-expanded", "true");
  }

  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest(".ev");
    if (!row) return;
    // Selecting text to copy it is not a request to expand.
    var sel = window.getSelection();
    if (sel && !sel.isCollapsed && row.contains(sel.anchorNode)) return;
    toggle(row);
  });

  // ---- keyboard ----

  var form = document.getElementById("search");
  var q = document.getElementById("q");

  function typing(t) {
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(t)) {
      e.preventDefault(); // keeps Chrome from clearing a search box
      t.blur();
      return;
    }
    if (typing(t)) return;
    if (e.key === "Escape" && document.body.classList.contains("side-open")) {
      document.body.classList.remove("side-open");
      sideToggle.setAttribute("aria-expanded", "false");
    } else if (e.key === "/" && q) {
      e.preventDefault();
      q.focus();
      q.select();
    } else if (e.key === "Enter" && t.classList && t.classList.contains("ev")) {
      e.preventDefault();
      toggle(t);
    } else if ((e.key === "ArrowDown" || e.key === "j" || e.key === "ArrowUp" || e.key === "k") && t.classList && t.classList.contains("ev")) {
      e.preventDefault();
      var down = e.key === "ArrowDown" || e.key === "j";
      var n = down ? t.nextElementSibling : t.previousElementSibling;
      while (n && !n.classList.contains("ev")) n = down ? n.nextElementSibling : n.previousElementSibling;
      if (n) n.focus();
    } else if (e.key === "p" && tail) {
      tail.togglePause();
    }
  });

  // ---- the search form: clean shareable URLs, time range, mode ----

  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var p = new URLSearchParams();
      new FormData(form).forEach(function (v, k) {
        v = String(v).trim();
        if (v !== "" && v !== "custom") p.append(k, v);
      });
      location.assign("/?" + p.toString());
    });
    var range = document.getElementById("range");
    var custom = document.getElementById("custom");
    range.addEventListener("change", function () {
      var inputs = custom.querySelectorAll("input");
      if (range.value === "custom") {
        range.removeAttribute("name");
        custom.hidden = false;
        for (var i = 0; i < inputs.length; i++) inputs[i].disabled = false;
        inputs[0].focus();
        return;
      }
      range.name = "since";
      custom.hidden = true;
      for (var j = 0; j < inputs.length; j++) inputs[j].disabled = true;
      form.requestSubmit();
    });
    var modes = document.querySelectorAll(".modes a[data-mode]");
    for (var i = 0; i < modes.length; i++) {
      modes[i].addEventListener("click", function (e) {
        if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
        // Keep what is typed in the box, not only what the URL had.
        e.preventDefault();
        form.elements.mode.value = this.getAttribute("data-mode");
        form.requestSubmit();
      });
    }
  }

  // ---- sidebar ----

  var sidebar = document.getElementById("sidebar");
  var sideToggle = document.getElementById("sidebar-toggle");
  if (sideToggle) {
    sideToggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("side-open");
      sideToggle.setAttribute("aria-expanded", String(open));
    });
  }

  // On a narrow screen the sidebar lies over the page: a click elsewhere
  // or Esc puts it away.
  document.addEventListener("click", function (e) {
    if (document.body.classList.contains("side-open") && sidebar && !sidebar.contains(e.target) && !sideToggle.contains(e.target)) {
      document.body.classList.remove("side-open");
      sideToggle.setAttribute("aria-expanded", "false");
    }
  });

  function loadStreams(btn, list) {
    if (window.htmx) window.htmx.ajax("GET", btn.getAttribute("data-url"), { target: list, swap: "innerHTML" });
  }

  if (sidebar) {
    sidebar.addEventListener("click", function (e) {
      var btn = e.target.closest("button.exp");
      if (!btn) return;
      var list = document.getElementById(btn.getAttribute("aria-controls"));
      if (!list) return;
      var open = btn.getAttribute("aria-expanded") !== "true";
      btn.setAttribute("aria-expanded", String(open));
      list.hidden = !open;
      if (open) loadStreams(btn, list);
    });
  }

  document.body.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target ? e.detail.target : e.target;
    localize(target);
    if (target === sidebar) {
      // The lists of expanded groups survived the refresh (hx-preserve):
      // mark their buttons and bring their counts up to date.
      var btns = sidebar.querySelectorAll("button.exp");
      for (var i = 0; i < btns.length; i++) {
        var list = document.getElementById(btns[i].getAttribute("aria-controls"));
        if (list && !list.hidden) {
          btns[i].setAttribute("aria-expanded", "true");
          loadStreams(btns[i], list);
        }
      }
    }
  });

  // ---- live tail ----

  function Tail(el) {
    var st = {
      received: 0, // messages from the server
      duplicates: 0, // skipped: already shown before a reconnect
      shown: 0, // rows added to the page
      dom: 0, // rows in the page now
      dropped: 0, // events the server skipped because the page fell behind
      maxLag: 0, // ms from sluice receiving an event to the page showing it
      lastLag: 0,
      paused: false,
      status: "connecting",
      reconnects: 0,
    };
    var pending = []; // [ev, json, ev, json, ...] waiting for a frame
    var newWhilePaused = 0;
    var seen = new Set(), seenOrder = []; // recent ids, to skip a reconnect's backfill
    var conn = "connecting";
    var follow = true, autoTop = 0;
    var scheduled = false, backoff = 1000, es = null, openedAt = Infinity;
    var lastID = ""; // the position of the newest event received
    var dot = document.getElementById("tdot");
    var statusEl = document.getElementById("tstatus");
    var countEl = document.getElementById("tcount");
    var newEl = document.getElementById("tnew");
    var droppedEl = document.getElementById("tdropped");
    var pauseBtn = document.getElementById("tpause");
    var jump = document.getElementById("tjump");
    var waiting = el.appendChild(document.createElement("p"));
    waiting.className = "waiting";
    waiting.textContent = "Waiting for events…";

    function showStatus(text) {
      var s = conn === "live" && st.paused ? "paused" : conn;
      st.status = s;
      dot.setAttribute("data-state", s);
      statusEl.textContent = text || { connecting: "connecting…", live: "live", paused: "paused", disconnected: "disconnected" }[s];
    }

    function remember(id) {
      seen.add(id);
      seenOrder.push(id);
      if (seenOrder.length > 2 * MAX_LINES) {
        var old = seenOrder.splice(0, MAX_LINES);
        for (var i = 0; i < old.length; i++) seen.delete(old[i]);
      }
    }

    function onMessage(e) {
      st.received++;
      var ev;
      try { ev = JSON.parse(e.data); } catch (x) { return; }
      // The SSE id is the event's position in the store: unique, and what
      // a reconnection resumes from. Skip what a reconnection sends again.
      var key = e.lastEventId || ev.id;
      if (e.lastEventId) lastID = e.lastEventId;
      if (key) {
        if (seen.has(key)) { st.duplicates++; return; }
        remember(key);
      }
      pending.push(ev, e.data);
      if (pending.length > 4 * MAX_LINES) pending.splice(0, pending.length - 2 * MAX_LINES); // only the newest can be shown
      if (st.paused) newWhilePaused++;
      schedule();
    }

    function schedule() {
      if (scheduled) return;
      scheduled = true;
      // A frame when the page is visible; the timer when frames stop
      // (a hidden tab), so that counters and memory stay bounded.
      requestAnimationFrame(flush);
      setTimeout(flush, 250);
    }

    // lagOf is how long ago sluice received ev; 0 for the backfill, which
    // sluice had received before the stream opened.
    function lagOf(ev, now) {
      var d = parseTime(ev.received);
      return d && d.getTime() >= openedAt ? now - d.getTime() : 0;
    }

    function flush() {
      if (!scheduled) return;
      scheduled = false;
      if (st.paused) {
        newEl.hidden = newWhilePaused === 0;
        newEl.textContent = fmtCount(newWhilePaused) + " new";
        return;
      }
      if (pending.length > 0) render();
      countEl.textContent = fmtCount(st.dom) + (st.dom === 1 ? " line" : " lines");
      countEl.title = fmtCount(st.received) + " received since the page opened; at most " + fmtCount(MAX_LINES) + " are kept";
    }

    function render() {
      var batch = pending;
      pending = [];
      var start = Math.max(0, batch.length - 2 * MAX_LINES);
      var frag = document.createDocumentFragment();
      for (var i = start; i < batch.length; i += 2) frag.appendChild(makeRow(batch[i], batch[i + 1]));
      if (waiting) { waiting.remove(); waiting = null; }
      el.appendChild(frag);
      var n = (batch.length - start) / 2;
      st.shown += n;
      st.dom += n;
      var now = Date.now();
      st.lastLag = Math.max(lagOf(batch[start], now), lagOf(batch[batch.length - 2], now));
      st.maxLag = Math.max(st.maxLag, st.lastLag);
      // Drop the oldest rows (and their expanded views).
      while (st.dom > MAX_LINES && el.firstElementChild) {
        var first = el.firstElementChild;
        if (first.classList.contains("ev")) st.dom--;
        first.remove();
      }
      if (follow) {
        el.scrollTop = el.scrollHeight;
        autoTop = el.scrollTop;
      } else {
        jump.hidden = false;
      }
    }

    el.addEventListener("scroll", function () {
      if (el.scrollHeight - el.scrollTop - el.clientHeight < 40) follow = true;
      else if (el.scrollTop < autoTop - 4) follow = false; // the user scrolled up
      jump.hidden = follow;
    });

    jump.addEventListener("click", function () {
      follow = true;
      el.scrollTop = el.scrollHeight;
      autoTop = el.scrollTop;
      jump.hidden = true;
    });

    function setPaused(p) {
      st.paused = p;
      pauseBtn.textContent = p ? "Resume" : "Pause";
      pauseBtn.setAttribute("aria-pressed", String(p));
      if (!p) {
        newWhilePaused = 0;
        newEl.hidden = true;
        schedule();
      }
      showStatus();
    }
    pauseBtn.addEventListener("click", function () { setPaused(!st.paused); });

    function connect() {
      conn = "connecting";
      showStatus();
      openedAt = Date.now();
      // EventSource resumes by itself (Last-Event-ID) when a stream ends;
      // a new one, after an error status, resumes with after=.
      var src = el.getAttribute("data-src");
      if (lastID) src += "&after=" + encodeURIComponent(lastID);
      es = new EventSource(src);
      es.onopen = function () {
        conn = "live";
        backoff = 1000;
        showStatus();
      };
      es.onmessage = onMessage;
      es.addEventListener("dropped", function (e) {
        try { st.dropped += JSON.parse(e.data).dropped || 0; } catch (x) { return; }
        droppedEl.hidden = false;
        droppedEl.textContent = fmtCount(st.dropped) + " lines skipped: the page fell behind the stream";
      });
      es.onerror = function () {
        conn = "disconnected";
        st.reconnects++;
        if (es.readyState === EventSource.CLOSED) {
          // The server refused the stream (an error status): EventSource
          // gives up, so try again, more slowly each time.
          es.close();
          showStatus("disconnected · retrying in " + Math.round(backoff / 1000) + "s");
          setTimeout(connect, backoff);
          backoff = Math.min(backoff * 2, 30000);
        } else {
          showStatus("disconnected · reconnecting…");
        }
      };
    }

    window.sluiceTail = st;
    st.pause = function () { setPaused(true); };
    st.resume = function () { setPaused(false); };
    connect();
    return { togglePause: function () { setPaused(!st.paused); } };
  }

  localize(document);
  var tailEl = document.getElementById("tail");
  var tail = tailEl && tailEl.getAttribute("data-src") ? Tail(tailEl) : null;
})();
