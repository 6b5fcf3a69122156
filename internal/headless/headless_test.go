package headless

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDumpDOMRunsScripts(t *testing.T) {
	bin, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "p.html")
	html := `<!DOCTYPE html><html><body><p id="x">before</p><script>document.getElementById("x").textContent = "width " + window.innerWidth;</script></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dom, err := DumpDOM(ctx, bin, Page{File: page, Width: 640, Height: 480})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dom, []byte(`<p id="x">width 640</p>`)) {
		t.Errorf("DOM after scripts lacks the script's text at width 640:\n%s", dom)
	}
	shot := filepath.Join(dir, "p.png")
	if err := Screenshot(ctx, bin, Page{File: page, Width: 320, Height: 200}, shot); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(shot); !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Error("screenshot is not a PNG")
	}
}

func TestFindHonoursEnv(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-such-chromium"))
	if _, err := Find(); !errors.Is(err, ErrNoChromium) {
		t.Errorf("Find with a missing $%s: error %v, want ErrNoChromium", EnvBinary, err)
	}
	if _, err := DumpDOM(context.Background(), "/bin/true", Page{File: "missing.html", Width: 1, Height: 1}); err == nil {
		t.Error("DumpDOM of a missing file succeeded")
	}
}
