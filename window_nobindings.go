//go:build (desktop || dev) && !bindings

package main

const bindingsOnly = false
