/* The printable summary on A4 (templates/clinic/summary.html, with css/print.css).

   plotly.js draws each chart at a fixed size in pixels: printed as drawn on a wide screen it is
   cut off on the right, and as drawn on a phone it is a thin strip with its legend running down
   the page. So when the page is printed (or print is emulated) each chart is drawn again at the
   printed width, at most its height on paper below, in paper-sized type and without the zoom
   buttons; after printing it goes back as it was. Loaded with defer after charts.js; no inline
   script (CSP). */
(function () {
  "use strict";

  var PX_PER_MM = 96 / 25.4;          // CSS pixels: 96 to the inch
  var WIDTH_MM = 210 - 2 * 12;        // A4 less the 12 mm side margins of print.css's @page
  // The timeline has a page of its own, under the running head and over its caption; the
  // relief comparison follows the block cards.
  var MAX_HEIGHT_MM = {"timeline": 240, "relief-comparison": 120};
  var TYPE = {"font.size": 11, "legend.font.size": 10, "legend.tracegroupgap": 2};
  var AXIS_TITLE_PX = 10;
  var before = {};                    // chart id -> the layout values changed for paper

  function drawnCharts() {
    var found = [];
    var plots = document.querySelectorAll(".chart-plot");
    for (var i = 0; i < plots.length; i++) {
      if (plots[i]._fullLayout) {
        found.push(plots[i]);
      }
    }
    return found;
  }

  // "margin.t", "updatemenus[0].visible" -> its value in the chart's layout (or undefined).
  function valueAt(layout, path) {
    var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    var value = layout;
    for (var i = 0; i < parts.length && value !== undefined && value !== null; i++) {
      value = value[parts[i]];
    }
    return value;
  }

  function paperLayout(chart) {
    var layout = chart.layout;
    var margin = layout.margin || {};
    var height = layout.height || chart._fullLayout.height;
    var update = {};
    Object.keys(TYPE).forEach(function (key) { update[key] = TYPE[key]; });
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key) && layout[key].title) {
        update[key + ".title.font.size"] = AXIS_TITLE_PX;
      }
    });
    // The zoom buttons stand in rows above the block labels: hide them and give their band
    // back, keeping the room under the lowest row (menu y is a fraction of the plot's height).
    var menus = layout.updatemenus || [];
    if (menus.length && margin.t !== undefined) {
      var plotPx = height - margin.t - (margin.b || 0);
      var lowest = Math.min.apply(null, menus.map(function (m) { return m.y; }));
      var top = Math.min(margin.t, Math.round((lowest - 1) * plotPx) + 4);
      update["margin.t"] = top;
      height -= margin.t - top;
      menus.forEach(function (menu, i) { update["updatemenus[" + i + "].visible"] = false; });
    }
    update.width = Math.floor(WIDTH_MM * PX_PER_MM);
    update.height = Math.min(height, Math.floor((MAX_HEIGHT_MM[chart.id] || 250) * PX_PER_MM));
    return update;
  }

  // How far under the plot the figure puts a legend that hangs below it, in px (its y is a
  // fraction of the plot's height, which is smaller on paper), or null.
  function legendGap(chart) {
    var layout = chart.layout;
    var margin = layout.margin || {};
    if (!layout.legend || !(layout.legend.y < 0) || !layout.height) {
      return null;
    }
    return -layout.legend.y * (layout.height - (margin.t || 0) - (margin.b || 0));
  }

  function toPaper() {
    if (!window.Plotly) {
      return;
    }
    drawnCharts().forEach(function (chart) {
      if (before[chart.id]) {
        return; // already on paper: beforeprint and the print media query both call this
      }
      var update = paperLayout(chart);
      var gap = legendGap(chart);
      var old = {autosize: true};
      Object.keys(update).concat(gap ? ["legend.y"] : []).forEach(function (key) {
        var value = valueAt(chart.layout, key);
        old[key] = value === undefined ? null : value; // null: back to plotly's default
      });
      before[chart.id] = old;
      // Twice: the first pass sizes the plot; on it plotly also places a horizontal legend by
      // its height at the old width (a phone's legend is one entry a line), so it lands on
      // the plot. The second puts it under the plot, as far below as on the screen. Both
      // draw synchronously, before the page is printed.
      window.Plotly.relayout(chart, update);
      if (gap) {
        update["legend.y"] = -gap / chart._fullLayout._size.h;
      }
      window.Plotly.relayout(chart, update);
    });
  }

  function toScreen() {
    if (!window.Plotly) {
      return;
    }
    drawnCharts().forEach(function (chart) {
      var old = before[chart.id];
      if (old) {
        delete before[chart.id];
        window.Plotly.relayout(chart, old);
        window.Plotly.relayout(chart, old); // twice, as in toPaper
      }
    });
  }

  // The line at the top of every printed page after the first (print.css's @page reads it),
  // as a CSS string: a custom property set here, since the CSP allows no inline style.
  function setPrintHead() {
    var head = document.querySelector("[data-print-head]");
    if (head) {
      var text = head.getAttribute("data-print-head").replace(/\s+/g, " ");
      document.documentElement.style.setProperty(
        "--print-head", '"' + text.replace(/["\\]/g, "\\$&") + '"');
    }
  }
  setPrintHead();

  var print = window.matchMedia("print");
  function onMedia(event) {
    if (event.matches) {
      toPaper();
    } else {
      toScreen();
    }
  }
  if (print.addEventListener) {
    print.addEventListener("change", onMedia);
  } else {
    print.addListener(onMedia); // Safari before 14
  }
  window.addEventListener("beforeprint", toPaper);
  // Chromium's print-to-PDF sends afterprint while print media is still emulated; the charts
  // go back when the media query says the screen is back.
  window.addEventListener("afterprint", function () {
    if (!print.matches) {
      toScreen();
    }
  });
  // Printed before the charts were drawn (charts.js draws on DOMContentLoaded).
  window.addEventListener("load", function () {
    if (print.matches) {
      toPaper();
    }
  });
})();
