//go:build bindings

package ui

// generatingBindings is true in the binary that `wails generate module`
// builds with the bindings tag: it only lists App's methods and exits, so Run
// must not read the configuration or open the database.
const generatingBindings = true
