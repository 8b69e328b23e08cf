// The serial console page: xterm.js on a websocket to the serial proxy; bytes both ways.
(function () {
  "use strict";
  var el = document.getElementById("terminal");
  var status = document.getElementById("console-status");
  var term = new Terminal({convertEol: false, cursorBlink: true, scrollback: 5000});
  var fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  window.addEventListener("resize", function () { fit.fit(); });
  window.consoleTerminal = term;  // for the browser tests: what the terminal shows

  var ws = new WebSocket(el.dataset.url);
  ws.binaryType = "arraybuffer";
  var encoder = new TextEncoder();
  ws.onopen = function () { status.textContent = "connected"; term.focus(); };
  ws.onmessage = function (ev) {
    term.write(typeof ev.data === "string" ? ev.data : new Uint8Array(ev.data));
  };
  ws.onclose = function (ev) {
    status.textContent = "closed" + (ev.reason ? ": " + ev.reason : "") + " (reload the page to reconnect)";
  };
  term.onData(function (data) {
    if (ws.readyState === WebSocket.OPEN) { ws.send(encoder.encode(data)); }
  });
})();
