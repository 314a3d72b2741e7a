//go:build !bindings

package ui

// generatingBindings is false in every real build; see bindings.go.
const generatingBindings = false
