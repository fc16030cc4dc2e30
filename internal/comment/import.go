package comment

// Imported is one comment an importer stores, with where it came from: the
// importer has validated, sanitized and given it its status; the store writes it as
// it is, beside a record of its source that makes a second import of the same file
// add nothing.
type Imported struct {
	Comment Comment
	// Thread is the comment's thread as the export names it (key, URL, title), for
	// the store to create or find by (site, key).
	Thread Thread
	// Source is the format the comment was read from (wxr, disqus, ...), SourceID its
	// id there, and ParentSourceID its parent's id there ("" for a top-level
	// comment): ids are unique within a site and a source only.
	Source, SourceID, ParentSourceID string
	// Line is where the entry starts in the file, for reports.
	Line int
}

// ImportOutcome is what became of one Imported: stored with a new ID, found already
// imported by an earlier run (Existing), or refused as a second entry with the same
// source id in this run (DuplicateOf: the line of the first).
type ImportOutcome struct {
	ID          int64
	Existing    bool
	DuplicateOf int
}

// ImportedReply is a reply stored by an import run whose parent is not linked yet:
// its own ids and line, and its parent as the site's imports know it (ParentID 0 when
// no comment was imported under ParentSourceID).
type ImportedReply struct {
	CommentID, ThreadID      int64
	SourceID, ParentSourceID string
	Line                     int
	ParentID, ParentThreadID int64
}
