package views

import (
	"embed"
	"io/fs"
)

//go:embed mail/*.txt mail/*.html
var mailFiles embed.FS

// MailFS returns the e-mail templates: for each message, NAME.txt (text/template) for the
// plain text part and NAME.html (html/template) for the HTML part.
func MailFS() fs.FS { return mailFiles }
