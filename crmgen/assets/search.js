/* crmgen: Chinese search that finds what was typed, shown without zero-width spaces.
   The search index is segmented with jieba at build time, its words joined with
   U+200B, and Material's worker turns a Chinese query into the longest indexed
   words at its start, each with a wildcard: 周建国 became 周*, which matched every
   page with a word starting with 周 (and a name found nowhere matched too). This
   file wraps the search worker (after crmgen's iframe-worker shim, so it works from
   file:// as over http) and refines each result it sends to the page:
   - a query's runs of Chinese characters are required as written: a page whose
     text does not contain each of them is left out;
   - the pages that do are ranked: those with a run in their title (a client's
     name) first, then client pages (a contact's name is a client's) before the
     others (the format reference), then by how often the page holds the runs,
     then in the worker's order;
   - the runs are what is highlighted, on the result and on the page it opens;
   - U+200B is taken out of every title, text and tag shown (it stays in the index).
   Queries without Chinese characters are ranked by the worker as before. */
(function () {
  "use strict";
  var Base = window.Worker;
  if (typeof Base !== "function" || typeof Map !== "function") return;
  var HAN = /\p{sc=Han}+/gu;
  var ZWSP = /\u200b/g;
  var TAG = /<[^>]*>/g;
  var SETUP = 0; // Material's message types (search/worker): the index, a query, its result
  var QUERY = 2;
  var RESULT = 3;
  var CLIENT_PAGE = /(^|\/)clients\/[^/#]+\//;

  function clean(value) {
    return typeof value === "string" ? value.replace(ZWSP, "") : value;
  }

  function count(text, run) {
    var n = 0;
    for (var at = text.indexOf(run); at >= 0; at = text.indexOf(run, at + run.length)) n++;
    return n;
  }

  // ``html`` with each run marked in its text (not inside tags), the worker's marks of
  // Chinese words (parts of the runs, or other words sharing their first character)
  // taken off first.
  function highlight(html, pattern) {
    html = html.replace(/<mark[^>]*>(\p{sc=Han}+)<\/mark>/gu, "$1");
    return html.split(/(<[^>]*>)/).map(function (part) {
      return part.charAt(0) === "<" ? part : part.replace(pattern, "<mark data-md-highlight>$&</mark>");
    }).join("");
  }

  // The text of each page of the index (its sections' too), without tags or U+200B,
  // made when a query first asks for the page.
  function Pages(docs) {
    var byPage = new Map();
    docs.forEach(function (doc) {
      var page = String(doc.location).split("#")[0];
      if (!byPage.has(page)) byPage.set(page, []);
      byPage.get(page).push(doc);
    });
    var texts = new Map();
    this.text = function (page) {
      var text = texts.get(page);
      if (text === undefined) {
        text = (byPage.get(page) || []).map(function (doc) {
          return clean(doc.title || "") + "\n" + clean(doc.text || "").replace(TAG, "");
        }).join("\n");
        texts.set(page, text);
      }
      return text;
    };
  }

  function refine(result, query, pages) {
    var runs = (query.match(HAN) || []).filter(function (run, i, all) { return all.indexOf(run) === i; });
    var pattern = runs.length ? new RegExp(runs.slice().sort(function (a, b) {
      return b.length - a.length;
    }).join("|"), "g") : null;
    var ranked = [];
    result.items.forEach(function (group, order) {
      var docs = group.map(function (doc) {
        var copy = Object.assign({}, doc, { title: clean(doc.title), text: clean(doc.text) });
        if (Array.isArray(doc.tags)) copy.tags = doc.tags.map(clean);
        return copy;
      });
      var page = String(docs[0].location).split("#")[0];
      var text = pages ? pages.text(page) : docs.map(function (doc) {
        return doc.title + "\n" + doc.text.replace(TAG, "");
      }).join("\n");
      // The page's own entry has no "#" (the worker adds it to its sections, last).
      var own = docs.filter(function (doc) { return String(doc.location).indexOf("#") < 0; })[0] || docs[0];
      var title = own.title.replace(TAG, "");
      var inTitle = 0;
      var often = 0;
      for (var r = 0; r < runs.length; r++) {
        var times = count(text, runs[r]);
        if (!times) return; // a run the page does not contain: not a result
        often += times;
        if (title.indexOf(runs[r]) >= 0) inTitle++;
      }
      if (pattern) {
        // The page, and those of its sections that hold a run (the worker matched others
        // by a word's first character).
        docs = docs.filter(function (doc) {
          return doc === own || runs.some(function (run) { return (doc.title + doc.text).replace(TAG, "").indexOf(run) >= 0; });
        });
        docs.forEach(function (doc) {
          var terms = {};
          Object.keys(doc.terms || {}).forEach(function (term) {
            if (!/\p{sc=Han}/u.test(term)) terms[term] = doc.terms[term];
          });
          runs.forEach(function (run) {
            terms[run] = (doc === own ? text : (doc.title + doc.text).replace(TAG, "")).indexOf(run) >= 0; // the page's link: all of it
          });
          doc.terms = terms;
          doc.title = highlight(doc.title, pattern);
          doc.text = highlight(doc.text, pattern);
        });
      }
      ranked.push({ docs: docs, rank: [inTitle, CLIENT_PAGE.test(page) ? 1 : 0, often], order: order });
    });
    if (runs.length) {
      ranked.sort(function (a, b) {
        for (var k = 0; k < a.rank.length; k++) if (a.rank[k] !== b.rank[k]) return b.rank[k] - a.rank[k];
        return a.order - b.order;
      });
    }
    return Object.assign({}, result, { items: ranked.map(function (entry) { return entry.docs; }) });
  }

  function SearchWorker(url, options) {
    var worker = options === undefined ? new Base(url) : new Base(url, options);
    var query = "";
    var pages = null;
    var refined = new WeakMap();
    var post = worker.postMessage;
    worker.postMessage = function (message) {
      if (message && message.type === QUERY && typeof message.data === "string") query = message.data;
      if (message && message.type === SETUP && message.data && Array.isArray(message.data.docs)) {
        pages = new Pages(message.data.docs);
      }
      return post.apply(worker, arguments);
    };
    var add = worker.addEventListener;
    var remove = worker.removeEventListener;
    var wrappers = new Map();
    worker.addEventListener = function (type, listener, opts) {
      if (type !== "message" || typeof listener !== "function") return add.call(worker, type, listener, opts);
      var wrapper = wrappers.get(listener);
      if (!wrapper) {
        wrapper = function (event) {
          var data = event.data;
          if (data && data.type === RESULT && data.data && Array.isArray(data.data.items)) {
            var better = refined.get(data);
            if (!better) {
              better = { type: RESULT, data: refine(data.data, query, pages) };
              refined.set(data, better);
            }
            event = new MessageEvent("message", { data: better });
          }
          return listener.call(this, event);
        };
        wrappers.set(listener, wrapper);
      }
      return add.call(worker, type, wrapper, opts);
    };
    worker.removeEventListener = function (type, listener, opts) {
      return remove.call(worker, type, wrappers.get(listener) || listener, opts);
    };
    return worker;
  }

  window.Worker = SearchWorker;
})();
