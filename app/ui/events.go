package ui

// Event names sent from Go to the frontend with runtime.EventsEmit. The
// frontend mirrors each one in frontend/src/events.ts; events_test.go checks
// that both lists match.
const (
	// EventStatusChanged carries a Status whenever a device, the central
	// link or the operator session changes.
	EventStatusChanged = "status:changed"
	// EventLanguageChanged carries the new language code after SetLanguage.
	EventLanguageChanged = "language:changed"
	// EventRewriteProgress carries a RewriteProgressView for each step of an
	// address change.
	EventRewriteProgress = "rewrite:progress"
	// EventJobProgress carries a JobProgress for each step of an issuance
	// job.
	EventJobProgress = "job:progress"
)

// EventNames lists every event name above, for the mirror check.
var EventNames = map[string]string{
	"EventStatusChanged":   EventStatusChanged,
	"EventLanguageChanged": EventLanguageChanged,
	"EventRewriteProgress": EventRewriteProgress,
	"EventJobProgress":     EventJobProgress,
}
