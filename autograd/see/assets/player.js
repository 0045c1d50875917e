// The controls of chainrule's step-by-step player (autograd.see.player), loaded as package data.
// The file is one function; the player calls it with its root element's id, the milliseconds per
// frame of the Play button, the fill of the box a step changed (palette.HIGHLIGHT_FILL) and the
// least zoom at which its text is 12 px (Fit stops there):
// (function (rootId, intervalMs, highlight, readable) {...})("chainrule-player-...", 1000, "#ffe28a", 0.9).
(function (rootId, intervalMs, highlight, readable) {
  var root = document.getElementById(rootId);
  if (!root) { return; }
  var frames = root.querySelectorAll('.cr-frame');
  var data = JSON.parse(root.querySelector('.cr-data').textContent);
  var slider = root.querySelector('.cr-slider');
  var view = root.querySelector('.cr-graph');
  var playButton = root.querySelector('.cr-play');
  var k = 0, timer = null, zoom = 1;
  function set(cls, text) { root.querySelectorAll(cls).forEach(function (e) { e.textContent = text; }); }
  function px(length) {  // an SVG width or height ("250pt") in CSS pixels
    var n = parseFloat(length);
    return /pt$/.test(length) ? n * 4 / 3 : n;
  }
  var sizes = Array.prototype.map.call(frames, function (f) {
    var svg = f.querySelector('svg');
    return svg ? [svg, px(svg.getAttribute('width')), px(svg.getAttribute('height'))] : null;
  });
  function setZoom(z) {
    zoom = Math.max(0.1, Math.min(4, z));
    sizes.forEach(function (s) {
      if (s) { s[0].style.width = (s[1] * zoom) + 'px'; s[0].style.height = (s[2] * zoom) + 'px'; }
    });
    set('.cr-zoom-level', Math.round(zoom * 100) + '%');
    root.dataset.zoom = String(zoom);
  }
  function fit() {  // the whole graph in view, but never smaller than readable: then scroll to the step
    var s = sizes[k];
    if (!s) { return; }
    var high = Math.max(200, window.innerHeight * 0.75);
    setZoom(Math.max(readable, Math.min((view.clientWidth - 4) / s[1], (high - 4) / s[2])));
    follow();
  }
  function show(i, quiet) {
    k = Math.max(0, Math.min(frames.length - 1, i));
    frames.forEach(function (f, j) { f.style.display = (j === k) ? 'block' : 'none'; });
    slider.value = String(k);
    var d = data[k];
    set('.cr-counter', 'step ' + k + ' / ' + (frames.length - 1));
    root.querySelector('.cr-intro').style.display = d.step ? 'none' : 'block';
    root.querySelector('.cr-product').style.display = d.step ? 'block' : 'none';
    if (d.step) {
      ['child', 'parent', 'derivative', 'rule', 'upstream_symbol', 'upstream', 'local', 'contribution',
        'grad', 'before', 'after']
        .forEach(function (name) { set('.cr-' + name, d[name]); });
    }
    root.dataset.step = String(k);
    if (!quiet) { follow(); }
  }
  function follow() {  // keep the box whose gradient just changed in view
    var hit = frames[k].querySelector('[fill="' + highlight + '"]');
    if (!hit) { return; }
    var r = hit.getBoundingClientRect(), v = view.getBoundingClientRect(), m = 24;
    if (r.right > v.right) { view.scrollLeft += r.right - v.right + m; }
    else if (r.left < v.left) { view.scrollLeft -= v.left - r.left + m; }
    if (r.bottom > v.bottom) { view.scrollTop += r.bottom - v.bottom + m; }
    else if (r.top < v.top) { view.scrollTop -= v.top - r.top + m; }
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; playButton.textContent = 'Play'; } }
  function play() {
    if (timer) { stop(); return; }
    if (k >= frames.length - 1) { show(0); }
    playButton.textContent = 'Pause';
    timer = setInterval(function () {
      if (k >= frames.length - 1) { stop(); } else { show(k + 1); }
    }, intervalMs);
  }
  function on(cls, f) { root.querySelector(cls).addEventListener('click', f); }
  on('.cr-prev', function () { stop(); show(k - 1); });
  on('.cr-next', function () { stop(); show(k + 1); });
  on('.cr-zoom-in', function () { setZoom(zoom * 1.25); });
  on('.cr-zoom-out', function () { setZoom(zoom / 1.25); });
  on('.cr-zoom-fit', fit);
  on('.cr-zoom-reset', function () { setZoom(1); });
  playButton.addEventListener('click', play);
  slider.addEventListener('input', function () { stop(); show(parseInt(slider.value, 10)); });
  function key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target === slider) { return; }
    var keys = {ArrowLeft: function () { stop(); show(k - 1); },
                ArrowRight: function () { stop(); show(k + 1); },
                '+': function () { setZoom(zoom * 1.25); }, '=': function () { setZoom(zoom * 1.25); },
                '-': function () { setZoom(zoom / 1.25); }, '0': function () { setZoom(1); }};
    if (keys[e.key]) { keys[e.key](); e.preventDefault(); e.stopPropagation(); }
  }
  root.addEventListener('keydown', key);
  if (root.dataset.standalone === 'true') {  // a page of its own: the keys work wherever the focus is
    document.addEventListener('keydown', function (e) { if (!root.contains(e.target)) { key(e); } });
  }
  setZoom(1);
  show(0, true);
  requestAnimationFrame(follow);  // step 0's box, the output, in view once the page is laid out
})
