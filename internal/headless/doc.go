// Package headless drives a headless Chromium (Debian's `chromium`) to
// load a local HTML file and return its DOM after scripts ran, or a
// screenshot. The report's layout test and the report screenshots use
// it.
//
// Every run gets a fresh, temporary profile (removed afterwards) and the
// flags that keep Chromium from reaching the network or the user's
// profile: --headless --no-sandbox --disable-gpu --disable-quic
// --no-first-run --disable-background-networking
// --disable-component-update --disable-sync.
//
// What it is not: a browser automation library. It runs one page load
// per call and knows nothing of the report; a missing Chromium is an
// error (ErrNoChromium), never a silent skip.
package headless
