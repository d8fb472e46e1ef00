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
    win.postMessage = function (data) {
      outbox.dispatchEvent(new MessageEvent("message", { data: data }));
    };
    var deliver = function (data) {
      win.dispatchEvent(new win.MessageEvent("message", { data: data }));
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
