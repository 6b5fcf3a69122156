package paper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shardlab/shardlab/internal/headless"
	"github.com/shardlab/shardlab/report"
)

// layoutProbe runs in the report once it has loaded (images included)
// and writes what it found as JSON into <pre id="layout-probe">. It
// reports every element wider than the body's column or sticking out of
// it, every element whose content overflows its own box (a scrolling
// <pre> or table hides content just as well), and for each <figure> its
// image's natural and rendered size and how much of it is not white.
const layoutProbe = `<script>
window.addEventListener("load", function () {
  var out = {viewport: window.innerWidth, pageWidth: document.documentElement.scrollWidth, overflow: [], figures: []};
  var body = document.body, bs = getComputedStyle(body), br = body.getBoundingClientRect();
  var left = br.left + parseFloat(bs.paddingLeft), right = br.right - parseFloat(bs.paddingRight);
  out.column = [left, right];
  function name(e) {
    var s = e.tagName.toLowerCase();
    if (e.id) s += "#" + e.id;
    var t = (e.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
    return s + (t ? " \"" + t + "\"" : "");
  }
  var all = body.querySelectorAll("*");
  for (var i = 0; i < all.length; i++) {
    var e = all[i];
    if (e.tagName === "SCRIPT" || e.id === "layout-probe") continue;
    var r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < left - 1 || r.right > right + 1) {
      out.overflow.push(name(e) + ": spans " + Math.round(r.left) + ".." + Math.round(r.right) + " px, column " + Math.round(left) + ".." + Math.round(right));
    } else if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).display !== "inline") {
      out.overflow.push(name(e) + ": content " + e.scrollWidth + " px wide in a " + e.clientWidth + " px box");
    }
  }
  var figs = body.querySelectorAll("figure");
  for (var j = 0; j < figs.length; j++) {
    var f = figs[j], img = f.querySelector("img, svg"), info = {id: f.id};
    if (img && img.tagName === "IMG") {
      var ir = img.getBoundingClientRect();
      info.natural = [img.naturalWidth, img.naturalHeight];
      info.shown = [Math.round(ir.width), Math.round(ir.height)];
      info.loaded = img.complete && img.naturalWidth > 0;
      try {
        var c = document.createElement("canvas");
        c.width = 300; c.height = 200;
        var g = c.getContext("2d");
        g.fillStyle = "#fff"; g.fillRect(0, 0, 300, 200);
        g.drawImage(img, 0, 0, 300, 200);
        var d = g.getImageData(0, 0, 300, 200).data, ink = 0;
        for (var k = 0; k < d.length; k += 4) if (d[k] < 200 || d[k+1] < 200 || d[k+2] < 200) ink++;
        info.ink = ink / (300 * 200);
      } catch (err) { info.inkError = String(err); }
    }
    out.figures.push(info);
  }
  var pre = document.createElement("pre");
  pre.id = "layout-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`

var reportHTML = flag.String("report", "", "check this report.html's layout instead of one built from the fixture (make report-check)")

type layoutResult struct {
	Viewport  int       `json:"viewport"`
	PageWidth int       `json:"pageWidth"`
	Column    []float64 `json:"column"`
	Overflow  []string  `json:"overflow"`
	Figures   []struct {
		ID       string  `json:"id"`
		Natural  []int   `json:"natural"`
		Shown    []int   `json:"shown"`
		Loaded   bool    `json:"loaded"`
		Ink      float64 `json:"ink"`
		InkError string  `json:"inkError"`
	} `json:"figures"`
}

var probeRE = regexp.MustCompile(`(?s)<pre id="layout-probe">(.*?)</pre>`)

// checkLayout loads html in headless Chromium at width px and returns
// what the probe found.
func checkLayout(t *testing.T, html string, width int) layoutResult {
	t.Helper()
	bin, err := headless.Find()
	if err != nil {
		t.Fatalf("%v: the report's layout test needs it (.ci/run installs it)", err)
	}
	data, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	probed := filepath.Join(filepath.Dir(html), "layout-probe.html")
	data = bytes.Replace(data, []byte("</body>"), []byte(layoutProbe+"\n</body>"), 1)
	if err := os.WriteFile(probed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := headless.DumpDOM(ctx, bin, headless.Page{File: probed, Width: width, Height: 900})
	if err != nil {
		t.Fatal(err)
	}
	m := probeRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the layout probe wrote nothing (page did not finish loading?); DOM starts:\n%.500s", dom)
	}
	var res layoutResult
	text := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'").Replace(string(m[1]))
	if err := json.Unmarshal([]byte(text), &res); err != nil {
		t.Fatalf("layout probe: %v\n%s", err, text)
	}
	return res
}

// TestReportLayoutInChromium renders the fixture's report.html in
// headless Chromium at 1,024 px and fails if any element is wider than
// the text column or hides overflowing content, or if any figure is
// missing, failed to load, or is blank.
func TestReportLayoutInChromium(t *testing.T) {
	html, figures := *reportHTML, 0
	if html == "" {
		b, err := report.Build(report.Config{Results: fixture, Out: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		html, figures = b.HTML, b.Figures
	} else {
		// A report built elsewhere (make report-check): copy it, so the
		// probe's page is written next to the copy, not beside it.
		data, err := os.ReadFile(html)
		if err != nil {
			t.Fatal(err)
		}
		html = filepath.Join(t.TempDir(), "report.html")
		if err := os.WriteFile(html, data, 0o644); err != nil {
			t.Fatal(err)
		}
		figures = bytes.Count(data, []byte("<figure "))
	}
	b := struct{ Figures int }{figures}
	res := checkLayout(t, html, 1024)
	if res.Viewport != 1024 {
		t.Errorf("viewport %d px, want 1024", res.Viewport)
	}
	if res.PageWidth > res.Viewport {
		t.Errorf("page is %d px wide in a %d px window: it scrolls sideways", res.PageWidth, res.Viewport)
	}
	for _, o := range res.Overflow {
		t.Errorf("wider than its column at 1,024 px: %s", o)
	}
	if len(res.Figures) != b.Figures || b.Figures == 0 {
		t.Errorf("page shows %d figures, Build made %d", len(res.Figures), b.Figures)
	}
	for _, f := range res.Figures {
		switch {
		case !f.Loaded:
			t.Errorf("figure %s: image missing or failed to load", f.ID)
		case len(f.Shown) != 2 || f.Shown[0] < 400 || f.Shown[1] < 250:
			t.Errorf("figure %s shown at %v px, want at least 400×250", f.ID, f.Shown)
		case f.InkError != "":
			t.Errorf("figure %s: could not read its pixels: %s", f.ID, f.InkError)
		case f.Ink < 0.02:
			t.Errorf("figure %s is blank: %.1f %% of it drawn", f.ID, 100*f.Ink)
		}
	}
}

// TestLayoutProbeCatchesFaults shows the probe fails what it should: a
// table wider than the column, a <pre> that scrolls, a blank figure and
// a figure whose image does not load.
func TestLayoutProbeCatchesFaults(t *testing.T) {
	dir := t.TempDir()
	blank := "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSI2MDAiIGhlaWdodD0iNDAwIiB2aWV3Qm94PSIwIDAgNjAwIDQwMCI+PC9zdmc+"
	html := `<!DOCTYPE html><html><head><style>body{max-width:600px;margin:0 auto;padding:0 1em} pre{overflow-x:auto} img{width:100%}</style></head><body>
<table><tr><td>` + strings.Repeat("wide ", 5) + `</td><td style="min-width:900px">x</td></tr></table>
<pre>` + strings.Repeat("long line ", 30) + `</pre>
<figure id="blank"><img src="` + blank + `"></figure>
<figure id="broken"><img src="missing.png"></figure>
</body></html>`
	page := filepath.Join(dir, "faulty.html")
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	res := checkLayout(t, page, 1024)
	joined := strings.Join(res.Overflow, "\n")
	if !strings.Contains(joined, "table") || !strings.Contains(joined, "pre") {
		t.Errorf("probe missed the wide table or the scrolling pre: %q", res.Overflow)
	}
	if len(res.Figures) != 2 {
		t.Fatalf("probe saw %d figures, want 2", len(res.Figures))
	}
	if f := res.Figures[0]; !f.Loaded || f.Ink >= 0.02 {
		t.Errorf("blank figure: loaded %v, ink %.3f; want loaded and under 0.02", f.Loaded, f.Ink)
	}
	if f := res.Figures[1]; f.Loaded {
		t.Error("broken figure reported as loaded")
	}
}
