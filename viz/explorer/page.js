// glassgrad's explorer page. Every number shown is a string the Python side
// made from the engine's values; this script only puts strings in place,
// toggles classes, and pans, zooms and expands (nothing is laid out here).
function glassgradExplore(root) {
  if (!root || root.dataset.ready) return;
  var started = performance.now();
  root.dataset.ready = "1";
  var data = JSON.parse(root.querySelector("script.gg-data").textContent);
  var nodes = data.nodes;
  var svg = root.querySelector("svg.gg-svg");
  var uid = root.id;
  var q = function (sel) { return root.querySelector(sel); };

  // the drawing's elements by attribute and key (insets join when first expanded)
  var keyed = { "data-d": {}, "data-g": {}, "data-gc": {}, "data-n": {}, "data-o": {},
                "data-grp": {}, "data-inset": {}, "data-e": {}, "data-dead": {} };
  var selector = Object.keys(keyed).map(function (a) { return "[" + a + "]"; }).join(",");
  function index(el) {
    for (var attr in keyed) {
      var key = el.getAttribute(attr);
      if (key !== null) (keyed[attr][key] = keyed[attr][key] || []).push(el);
    }
  }
  root.querySelectorAll(selector).forEach(index);
  var dataEls = keyed["data-d"], gradEls = keyed["data-g"], cellEls = keyed["data-gc"];
  var recordEls = keyed["data-n"], opEls = keyed["data-o"], groupEls = keyed["data-grp"];
  var insetEls = keyed["data-inset"], edgeEls = keyed["data-e"], deadEls = keyed["data-dead"];
  var expanded = {};
  var parents = nodes.map(function () { return []; });
  nodes.forEach(function (n, i) { n.children.forEach(function (c) { parents[c].push(i); }); });

  // ---- where a node is drawn right now -----------------------------------
  function placeOf(i) {
    var g = nodes[i].box;
    if (g && !expanded[g]) return groupEls[g] ? groupEls[g][0] : null;
    return recordEls[i] ? recordEls[i][0] : (g && groupEls[g] ? groupEls[g][0] : null);
  }
  function edgesInto(child, node) {
    var found = [], cg = nodes[child].box, ng = nodes[node].box;
    var from = cg || "n" + child;
    var to = ng || (nodes[node].symbol ? "o" + node : "n" + node);
    if (from !== to) found = found.concat(edgeEls[from + ">" + to] || []);
    if (ng) found = found.concat(edgeEls[(cg === ng ? "n" : "s") + child + ">o" + node] || []);
    return found;
  }

  // ---- state: the mode and how many of its steps are done ----------------
  var mode = data.mode, step = 0, marked = [], player = null;
  function steps() { return mode === "forward" ? data.forward : data.backward; }
  function nameOf(i) { return nodes[i].name; }

  function signed(first, text) {
    if (first) return text;
    return text.charAt(0) === "-" ? " - " + text.slice(1) : " + " + text;
  }

  function replay(upto) {
    // node -> {text, full, colour, terms}; only the steps before `upto` count
    var state = {};
    if (mode === "forward") {
      for (var k = 0; k < upto; k++) state[data.forward[k]] = true;
      return state;
    }
    for (var j = 0; j < upto; j++) {
      var f = data.backward[j], s = state[f[0]] || { terms: [] };
      s.text = f[2]; s.full = f[3]; s.colour = f[7]; s.terms.push(f[6]);
      state[f[0]] = s;
    }
    return state;
  }

  function ink(hex) {  // readable text on a shaded cell: white on dark shades, else near-black
    var n = parseInt(hex.slice(1), 16);
    return 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) < 140 ? "#fff" : "#111827";
  }
  function setText(els, text) {
    (els || []).forEach(function (el) { if (el.textContent !== text) el.textContent = text; });
  }
  function setClass(els, cls, on) {
    (els || []).forEach(function (el) {
      if (el.classList.contains(cls) !== on) el.classList.toggle(cls, on);
    });
  }

  function caption(k) {
    var n = steps().length;
    if (k === 0) {
      return mode === "forward" ? "start: no value computed yet. Press → or play."
        : "start: before backward(), every gradient is 0. Press → or play.";
    }
    var head = "step " + k + " of " + n + ": ";
    if (mode === "forward") {
      var i = data.forward[k - 1], node = nodes[i];
      if (!node.op) return head + nameOf(i) + " = " + node.data + " (" + node.kind + ")";
      return head + nameOf(i) + " = " + node.expr + " = " + node.nums + " = " + node.data;
    }
    var f = data.backward[k - 1];
    if (f[1] < 0) return head + nameOf(f[0]) + ".grad = 1 (d out / d out)";
    var t = nameOf(f[0]), s = nameOf(f[1]);
    var text = head + t + ".grad += d" + s + "/d" + t + " × " + s + ".grad = " + f[4] +
      " × " + f[5] + " = " + f[6];
    var terms = replay(k)[f[0]].terms;
    if (terms.length > 1) {
      text += "; reused node, sum of contributions: " + terms.map(function (x, j) { return signed(j === 0, x); })
        .join("") + " = " + f[2];
    }
    return text;
  }

  function show(k, still) {  // `still`: do not pan to the step
    var list = steps();
    step = Math.max(0, Math.min(list.length, k));
    var state = replay(step);
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i], s = state[i];
      if (mode === "forward") {
        setText(dataEls[i], "data " + (s ? node.data : "?"));
        setText(gradEls[i], "grad " + (node.kind === "constant" ? "—" : "0"));
        setClass(gradEls[i], "gg-pend", true);
        setClass(dataEls[i], "gg-pend", !s);
        setClass(deadEls[i], "gg-hide", !s);  // a dead ReLU shows once its value is known
      } else {
        setClass(deadEls[i], "gg-hide", false);
        setText(dataEls[i], "data " + node.data);
        setClass(dataEls[i], "gg-pend", false);
        setText(gradEls[i], "grad " + (node.kind === "constant" ? "—" : s ? s.text : "0"));
        setClass(gradEls[i], "gg-pend", !s);
      }
      if (cellEls[i]) {  // color_grad: the cell's shade; its text stays dark on it
        var colour = mode === "backward" && s && s.colour ? s.colour : "none";
        cellEls[i].forEach(function (el) { el.setAttribute("fill", colour); });
        var text = colour === "none" ? "" : ink(colour);
        (gradEls[i] || []).forEach(function (el) { el.style.fill = text; });
      }
    }
    highlight(!still);
    q(".gg-scrub").max = list.length;
    q(".gg-scrub").value = step;
    q(".gg-count").textContent = step === 0 ? "start of " + list.length
      : "step " + step + " of " + list.length;
    q(".gg-cap").textContent = caption(step);
    root.dataset.step = step;
    root.dataset.mode = mode;
    root.querySelectorAll("[data-act=forward],[data-act=backward]").forEach(function (b) {
      b.classList.toggle("gg-on", b.dataset.act === mode);
    });
    if (pinned !== null) inspect(pinned);
  }

  function mark(el, cls) {
    if (!el) return;
    el.classList.add(cls);
    marked.push([el, cls]);
  }
  function markEdge(el) {
    el.classList.add("gg-hot");
    el.setAttribute("marker-end", "url(#" + uid + "-h)");
    marked.push([el, "gg-hot"]);
  }
  function highlight(pan) {
    marked.forEach(function (m) {
      m[0].classList.remove(m[1]);
      if (m[1] === "gg-hot") m[0].setAttribute("marker-end", "url(#" + uid + "-a)");
    });
    marked = [];
    if (step === 0) return;
    if (mode === "forward") {
      var i = data.forward[step - 1];
      mark(placeOf(i), "gg-fill");
      if (pan) follow(placeOf(i));
      nodes[i].children.forEach(function (c) { edgesInto(c, i).forEach(markEdge); });
      (edgeEls["o" + i + ">n" + i] || []).forEach(markEdge);
      return;
    }
    var f = data.backward[step - 1];
    mark(placeOf(f[0]), "gg-fill");
    if (pan) follow(placeOf(f[0]));
    if (f[1] >= 0) {
      mark(placeOf(f[1]), "gg-act");
      (opEls[f[1]] || []).forEach(function (el) { mark(el, "gg-act"); });
      edgesInto(f[0], f[1]).forEach(markEdge);
      (edgeEls["o" + f[1] + ">n" + f[1]] || []).forEach(markEdge);
    }
  }

  // ---- controls ----------------------------------------------------------
  function stop() {
    if (player !== null) clearInterval(player);
    player = null;
    q(".gg-play").textContent = "play ▶";
  }
  function play() {
    if (player !== null) { stop(); return; }
    if (step >= steps().length) show(0);
    var rate = Number(q("[data-act=speed]").value) || 2;
    player = setInterval(function () {
      if (step >= steps().length) { stop(); return; }
      show(step + 1);
    }, 1000 / rate);
    q(".gg-play").textContent = "pause ❚❚";
  }
  var actions = {
    first: function () { stop(); show(0); },
    prev: function () { stop(); show(step - 1); },
    next: function () { stop(); show(step + 1); },
    last: function () { stop(); show(steps().length); },
    play: play,
    forward: function () { stop(); mode = "forward"; show(0); },
    backward: function () { stop(); mode = "backward"; show(0); },
    "zoom-in": function () { zoom(0.8); },
    "zoom-out": function () { zoom(1.25); },
    fit: function () { setView(home.slice()); },
    collapse: function () {
      Object.keys(expanded).forEach(function (g) { if (expanded[g]) setExpanded(g, false); });
    },
    theme: function () {
      var order = ["auto", "light", "dark"];
      root.dataset.theme = order[(order.indexOf(root.dataset.theme) + 1) % 3];
      applyTheme();
    }
  };
  root.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-act]");
    if (button && root.contains(button) && actions[button.dataset.act]) {
      actions[button.dataset.act]();
      return;
    }
    var closer = e.target.closest("[data-collapse]");
    if (closer) { setExpanded(closer.getAttribute("data-collapse"), false); return; }
    var group = e.target.closest("[data-grp]");
    if (group && !moved) { setExpanded(group.getAttribute("data-grp"), true); return; }
    var record = e.target.closest("[data-n],[data-o]");
    if (record && !moved) {
      var i = Number(record.getAttribute("data-n") || record.getAttribute("data-o"));
      pinned = pinned === i ? null : i;
      inspect(i);
    }
  });
  q("[data-act=speed]").addEventListener("change", function () {
    if (player !== null) { stop(); play(); }
  });
  q(".gg-scrub").addEventListener("input", function (e) { stop(); show(Number(e.target.value)); });
  function onKey(e) {
    var tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    var act = { ArrowRight: "next", ArrowLeft: "prev", " ": "play", Home: "first", End: "last",
                Escape: "collapse" }[e.key];
    if (!act) return;
    e.preventDefault();
    e.stopPropagation();  // a notebook's own shortcuts do not see keys meant for the explorer
    actions[act]();
  }
  (root.dataset.page ? document : root).addEventListener("keydown", onKey);

  // ---- inspect -----------------------------------------------------------
  var pinned = null;
  function esc(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function inspect(i) {
    var info = q(".gg-info"), node = nodes[i];
    if (i === null) { info.hidden = true; return; }
    var state = mode === "backward" ? replay(step)[i] : null;
    var rows = [
      ["node", node.name + " (" + node.kind + ")" + (pinned === i ? " · pinned" : "")],
      ["label", node.label || "(none)"],
      ["scope", node.scope || "(none)"]
    ];
    if (node.op) rows.push(["op", node.op + " (" + node.symbol + "): " + node.expr]);
    rows.push(["data", node.dataFull]);
    if (node.kind !== "constant") {
      rows.push(["grad now", mode === "backward" ? (state ? state.full : "0.0") : "0.0 (forward pass)"]);
      rows.push(["grad after backward()", node.gradFull]);
    }
    (node.locals || []).forEach(function (l) {
      rows.push(["d " + node.name + " / d " + nameOf(l[0]), l[1]]);
    });
    info.innerHTML = "<table>" + rows.map(function (r) {
      return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
    }).join("") + "</table>" + (node.children.length || parents[i].length ?
      '<button type="button" class="gg-pathbtn">paths from here to the output</button>' : "");
    info.hidden = false;
    var btn = info.querySelector(".gg-pathbtn");
    if (btn) btn.addEventListener("click", function () { showPaths(i); });
  }
  root.addEventListener("mouseover", function (e) {
    if (pinned !== null) return;
    var el = e.target.closest("[data-n],[data-o]");
    if (el) inspect(Number(el.getAttribute("data-n") || el.getAttribute("data-o")));
    var group = e.target.closest("[data-grp]");  // a group: its output node
    if (group) inspect(data.groups[group.getAttribute("data-grp")].out);
  });

  // ---- paths and search ---------------------------------------------------
  var pathMarks = [], pathFrom = null;
  function clearPaths() {
    pathMarks.forEach(function (el) { el.classList.remove("gg-path"); });
    pathMarks = [];
    svg.classList.remove("gg-dim");
  }
  function showPaths(from) {
    clearPaths();
    pathFrom = from === "" ? null : from;
    if (pathFrom === null) { q(".gg-paths").value = ""; delete root.dataset.paths; return; }
    var up = {}, stack = [from];  // nodes that depend on `from`
    up[from] = true;
    while (stack.length) {
      parents[stack.pop()].forEach(function (p) { if (!up[p]) { up[p] = true; stack.push(p); } });
    }
    var on = Object.keys(up).map(Number);
    on.forEach(function (i) {
      var el = placeOf(i);
      if (el) { el.classList.add("gg-path"); pathMarks.push(el); }
      (opEls[i] || []).forEach(function (op) { op.classList.add("gg-path"); pathMarks.push(op); });
      nodes[i].children.forEach(function (c) {
        if (!up[c]) return;
        edgesInto(c, i).forEach(function (edge) { edge.classList.add("gg-path"); pathMarks.push(edge); });
      });
      (edgeEls["o" + i + ">n" + i] || []).forEach(function (edge) {
        edge.classList.add("gg-path"); pathMarks.push(edge);
      });
    });
    svg.classList.add("gg-dim");
    q(".gg-paths").value = String(from);
    root.dataset.paths = on.length;
  }
  var pathSelect = q(".gg-paths");
  pathSelect.innerHTML = '<option value="">paths from… (none)</option>' + nodes.map(function (n, i) {
    return n.children.length || n.kind === "constant" ? "" :
      '<option value="' + i + '">' + esc(n.name) + " (" + n.kind + ")</option>";
  }).join("");
  pathSelect.addEventListener("change", function () {
    showPaths(pathSelect.value === "" ? null : Number(pathSelect.value));
  });

  var matches = [], matchAt = -1, matchMarks = [];
  function search(text) {
    matchMarks.forEach(function (el) { el.classList.remove("gg-match"); });
    matchMarks = [];
    matches = [];
    matchAt = -1;
    var needle = text.trim().toLowerCase();
    if (needle) {
      nodes.forEach(function (n, i) {
        if ((n.label || "").toLowerCase().indexOf(needle) >= 0 ||
            n.name.toLowerCase().indexOf(needle) >= 0) matches.push(i);
      });
    }
    matches.forEach(function (i) {
      var el = placeOf(i);
      if (el && !el.classList.contains("gg-match")) { el.classList.add("gg-match"); matchMarks.push(el); }
    });
    q(".gg-found").textContent = needle ? matches.length + " found" + (matches.length ? " (Enter: next)" : "") : "";
    root.dataset.found = matches.length;
  }
  var searchBox = q(".gg-search");
  searchBox.addEventListener("input", function () { search(searchBox.value); });
  searchBox.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !matches.length) return;
    matchAt = (matchAt + 1) % matches.length;
    var i = matches[matchAt];
    var g = nodes[i].box;
    if (g && !expanded[g] && data.groups[g].expandable) setExpanded(g, true);
    centreOn(placeOf(i));
    inspect(i);
  });

  // ---- expand and collapse groups ----------------------------------------
  function materialize(g) {  // an inset's template becomes part of the drawing
    var template = root.querySelector('template[data-tpl="' + g + '"]');
    if (!template) return false;
    var inset = document.importNode(template.content.querySelector(".gg-inset"), true);
    svg.appendChild(inset);
    index(inset);
    inset.querySelectorAll(selector).forEach(index);
    template.remove();
    return true;
  }
  function setExpanded(g, open) {
    if (!insetEls[g] && !(open && materialize(g))) return;
    expanded[g] = open;
    insetEls[g].forEach(function (el) {
      el.setAttribute("display", open ? "inline" : "none");
      if (open) el.parentNode.appendChild(el);  // draw on top
    });
    setClass(groupEls[g], "gg-open", open);
    if (open) {  // zoom to the inset's width (its bottom, where its output is); nothing moves
      var box = svg.getBoundingClientRect();
      var r = data.groups[g].inset, w = r[2] + 12, h = w * box.height / box.width;
      var top = h >= r[3] + 12 ? r[1] - 6 - (h - r[3] - 12) / 2 : r[1] + r[3] + 6 - h;
      setView([r[0] - 6, top, w, h]);
    } else {
      setView(home.slice());
    }
    var open_ = Object.keys(expanded).filter(function (k) { return expanded[k]; });
    root.dataset.expanded = open_.join(" ");
    q(".gg-collapse").hidden = !open_.length;
    show(step, true);
    if (pathFrom !== null) showPaths(pathFrom);
    if (q(".gg-search").value) search(q(".gg-search").value);
  }

  // ---- pan and zoom (the viewBox only) -----------------------------------
  var home = svg.getAttribute("viewBox").split(" ").map(Number), view = home.slice();
  function setView(v) {
    view = v;
    svg.setAttribute("viewBox", v.map(function (x) { return x.toFixed(1); }).join(" "));
  }
  function zoom(factor, cx, cy) {
    var v = view;
    cx = cx === undefined ? v[0] + v[2] / 2 : cx;
    cy = cy === undefined ? v[1] + v[3] / 2 : cy;
    setView([cx - (cx - v[0]) * factor, cy - (cy - v[1]) * factor, v[2] * factor, v[3] * factor]);
  }
  function clamp(x, low, size, room) {  // keep a window of `size` inside [low, low+room]
    return size >= room ? x : Math.min(Math.max(x, low), low + room - size);
  }
  function centreOn(el) {
    if (!el) return;
    var b = el.getBBox(), v = view;
    setView([clamp(b.x + b.width / 2 - v[2] / 2, home[0], v[2], home[2]),
             clamp(b.y + b.height / 2 - v[3] / 2, home[1], v[3], home[3]), v[2], v[3]]);
  }
  function startView() {
    // a graph too big to read fitted whole opens around its output at a readable
    // scale ("fit" shows all of it)
    var box = svg.getBoundingClientRect();
    if (!box.width || Math.min(box.width / home[2], box.height / home[3]) >= 0.45) return;
    var w = Math.min(home[2], box.width / 0.7);  // 11 pt text at 0.7: about 8 px
    setView([home[0], home[1], w, w * box.height / box.width]);
    centreOn(placeOf(data.output));
  }
  function follow(el) {  // keep the current step in sight when zoomed in
    if (!el) return;
    var b = el.getBBox(), v = view;
    if (b.x < v[0] || b.y < v[1] || b.x + b.width > v[0] + v[2] || b.y + b.height > v[1] + v[3]) {
      centreOn(el);
    }
  }
  function toUser(e) {
    var r = svg.getBoundingClientRect();
    return [view[0] + (e.clientX - r.left) / r.width * view[2],
            view[1] + (e.clientY - r.top) / r.height * view[3]];
  }
  svg.addEventListener("wheel", function (e) {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    var p = toUser(e);
    zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
  }, { passive: false });
  var drag = null, moved = false;
  svg.addEventListener("pointerdown", function (e) {
    drag = { x: e.clientX, y: e.clientY, v: view.slice() };
    moved = false;
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var r = svg.getBoundingClientRect(), dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
    if (!moved) return;
    setView([drag.v[0] - dx / r.width * drag.v[2], drag.v[1] - dy / r.height * drag.v[3],
             drag.v[2], drag.v[3]]);
  });
  window.addEventListener("pointerup", function () {
    drag = null;
    setTimeout(function () { moved = false; }, 0);
  });

  // ---- theme ---------------------------------------------------------------
  function hostIsDark() {
    // the front end's own theme flag, else the colour actually behind the explorer
    var body = document.body, jp = body && body.getAttribute("data-jp-theme-light");
    if (jp === "true" || jp === "false") return jp === "false";
    if (body && /\bvscode-(dark|high-contrast)\b/.test(body.className)) return true;
    if (body && /\bvscode-light\b/.test(body.className)) return false;
    if (document.documentElement.getAttribute("theme") === "dark") return true;  // Colab
    for (var el = root.parentElement; el; el = el.parentElement) {
      var rgba = (getComputedStyle(el).backgroundColor.match(/[\d.]+/g) || []).map(Number);
      if (rgba.length >= 3 && (rgba.length < 4 || rgba[3] > 0)) {
        return 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 128;
      }
    }
    return false;  // nothing painted behind it: the browser's white page
  }
  function applyTheme() {
    var t = root.dataset.theme;
    if (t === "dark" || (t === "auto" && hostIsDark())) root.dataset.dark = "1";
    else delete root.dataset.dark;
    q(".gg-theme").textContent = "theme: " + t;
  }

  // ---- start ---------------------------------------------------------------
  var note = q(".gg-nojs");
  if (note) note.remove();
  q(".gg-ui").hidden = false;
  if (data.notes && data.notes.length) {
    var notes = document.createElement("div");
    notes.className = "gg-notes";
    notes.textContent = data.notes.join(" · ");
    q(".gg-stage").before(notes);
  }
  function sizeStage() {  // the stage keeps the whole graph's shape whatever the zoom
    var width = svg.getBoundingClientRect().width || 800;
    var height = Math.min(width * home[3] / home[2], window.innerHeight * 0.78);
    svg.style.height = Math.max(120, height) + "px";
  }
  window.addEventListener("resize", sizeStage);
  sizeStage();
  startView();
  applyTheme();
  show(0);
  root.dataset.readyMs = String(Math.round(performance.now()));
  root.dataset.scriptMs = String(Math.round(performance.now() - started));
  root.dataset.interactive = "1";
}
