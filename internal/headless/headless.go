package headless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// ErrNoChromium: no Chromium binary was found.
var ErrNoChromium = errors.New("headless: chromium not found (install Debian's chromium package, or set SHARDLAB_CHROMIUM to its path)")

// EnvBinary names an environment variable that, when set, is the path of
// the Chromium binary to use.
const EnvBinary = "SHARDLAB_CHROMIUM"

// Find returns the Chromium binary: $SHARDLAB_CHROMIUM, else the first
// of chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w", ErrNoChromium, EnvBinary, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Page is one page load.
type Page struct {
	// File is the local HTML file to load.
	File string
	// Width and Height are the window size in CSS pixels.
	Width, Height int
	// Budget is how long (virtual milliseconds) Chromium lets the page
	// load and run scripts before it answers; default 10,000.
	Budget int

	_ struct{}
}

// DumpDOM loads the page and returns its DOM serialised after the page's
// scripts ran.
func DumpDOM(ctx context.Context, bin string, p Page) ([]byte, error) {
	return run(ctx, bin, p, "--dump-dom")
}

// Screenshot loads the page and writes a PNG of the window to png.
func Screenshot(ctx context.Context, bin string, p Page, png string) error {
	abs, err := filepath.Abs(png)
	if err != nil {
		return err
	}
	if _, err := run(ctx, bin, p, "--screenshot="+abs, "--hide-scrollbars"); err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		return fmt.Errorf("headless: chromium wrote no screenshot to %s", abs)
	}
	return nil
}

func run(ctx context.Context, bin string, p Page, extra ...string) ([]byte, error) {
	if p.Width <= 0 || p.Height <= 0 {
		return nil, fmt.Errorf("headless: window %d×%d", p.Width, p.Height)
	}
	file, err := filepath.Abs(p.File)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("headless: %w", err)
	}
	budget := p.Budget
	if budget <= 0 {
		budget = 10_000
	}
	profile, err := os.MkdirTemp("", "shardlab-chromium-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profile,
		"--window-size=" + strconv.Itoa(p.Width) + "," + strconv.Itoa(p.Height),
		"--virtual-time-budget=" + strconv.Itoa(budget),
	}
	args = append(args, extra...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+profile)
	if err := cmd.Run(); err != nil {
		tail := stderr.Bytes()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("headless: %s: %w\n%s", filepath.Base(bin), err, tail)
	}
	return stdout.Bytes(), nil
}
