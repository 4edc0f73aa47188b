/* Draw every chart on the page: each <script type="application/json" class="chart-data"
   data-target="ID"> holds a figure from diary/clinical/charts/ ({data, layout, config}); it is drawn
   into the element with that id. Zoom buttons are plotly updatemenus inside the figure, so
   nothing else is needed here. Loaded with defer after plotly.js (templates/_charts.html). */
(function () {
  "use strict";

  function draw(tag) {
    var target = document.getElementById(tag.getAttribute("data-target"));
    if (!target || !window.Plotly) {
      return; // the figcaption still says what the chart would show
    }
    var figure;
    try {
      figure = JSON.parse(tag.textContent);
    } catch (err) {
      console.error("chart " + target.id + ": bad figure JSON", err);
      return;
    }
    var config = figure.config || {};
    if (config.responsive === undefined) {
      config.responsive = true;
    }
    window.Plotly.newPlot(target, figure.data, figure.layout, config);
  }

  function drawAll() {
    var tags = document.querySelectorAll('script.chart-data[type="application/json"]');
    for (var i = 0; i < tags.length; i++) {
      draw(tags[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
