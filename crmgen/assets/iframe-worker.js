/* crmgen: lets Material's search run when the site is opened from file://.
   Browsers refuse `new Worker()` for file:// URLs, so the search worker runs in a
   hidden iframe instead, talking through events. Material's offline plugin would
   load a polyfill for this from unpkg.com; a CRM site loads nothing from the
   network, so crmgen ships this small one. Over http(s) it does nothing. */
(function () {
  "use strict";
  if (location.protocol !== "file:") return;

  function IFrameWorker(url) {
    var outbox = document.createElement("div"); // an EventTarget for the page's listeners
    var iframe = document.createElement("iframe");
    var queue = [];
    var ready = false;
    iframe.hidden = true;
    iframe.setAttribute("aria-hidden", "true");
    iframe.tabIndex = -1;
    (document.body || document.documentElement).appendChild(iframe);
    var win = iframe.contentWindow;
    var doc = win.document;
    doc.open();
    doc.write("<!doctype html><title>search</title>");
    doc.close();
    // What the worker script posts goes to the page.
    // As a real worker's: each message is a copy, made in the receiver's window, delivered in
    // a task of its own. Zensical's worker changes the objects it is sent, and its page script
    // posts while handling a message.
    win.postMessage = function (data) {
      var copy = structuredClone(data);
      setTimeout(function () {
        outbox.dispatchEvent(new MessageEvent("message", { data: copy }));
      });
    };
    var deliver = function (data) {
      var copy = win.structuredClone(data);
      setTimeout(function () {
        win.dispatchEvent(new win.MessageEvent("message", { data: copy }));
      });
    };
    var script = doc.createElement("script");
    script.src = url;
    script.onload = function () {
      ready = true;
      queue.splice(0).forEach(deliver);
    };
    script.onerror = function () {
      outbox.dispatchEvent(new Event("error"));
    };
    doc.body.appendChild(script);

    // Zensical's page script listens with worker.onmessage, Material's with addEventListener.
    var that = this;
    this.onmessage = null;
    this.onerror = null;
    outbox.addEventListener("message", function (event) {
      if (typeof that.onmessage === "function") that.onmessage(event);
    });
    outbox.addEventListener("error", function (event) {
      if (typeof that.onerror === "function") that.onerror(event);
    });
    this.addEventListener = outbox.addEventListener.bind(outbox);
    this.removeEventListener = outbox.removeEventListener.bind(outbox);
    this.dispatchEvent = outbox.dispatchEvent.bind(outbox);
    this.postMessage = function (data) {
      if (ready) deliver(data);
      else queue.push(data);
    };
    this.terminate = function () {
      iframe.remove();
    };
  }

  window.IFrameWorker = IFrameWorker;
  window.Worker = IFrameWorker;
})();
