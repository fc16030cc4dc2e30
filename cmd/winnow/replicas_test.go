package main

import (
	"fmt"
	"net/http"
	"testing"
)

// TestReplicasSeeEachOthersThreadChanges runs two winnow replicas on one PostgreSQL:
// each caches thread rows, and a change made through one reaches readers of the other
// (LISTEN/NOTIFY), for publishing, taking down and editing alike.
func TestReplicasSeeEachOthersThreadChanges(t *testing.T) {
	env := map[string]string{"WINNOW_DATABASE_URL": postgresDSN(t), "WINNOW_DATA_DIR": t.TempDir()}
	a := start(t, env)
	envB := map[string]string{}
	for k, v := range env {
		envB[k] = v
	}
	b := start(t, envB)
	a.createSite("blog", nil)
	count := func(in *instance) int {
		page := in.do(req{method: "GET", path: "/api/v1/sites/blog/comments?thread=/p"}).must(t, http.StatusOK).json(t)
		return len(list(page, "comments"))
	}
	held := a.submit("blog", submission("/p", nil), nil).must(t, http.StatusAccepted).json(t)
	id := int64(num(held, "comment", "id"))
	if count(b) != 0 || count(a) != 0 { // both now cache the thread row
		t.Fatal("a held comment is public")
	}
	a.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/approve", id), token: a.token}).must(t, http.StatusOK)
	eventually(t, "replica b to see the approval", func() bool { return count(b) == 1 })
	b.do(req{method: "POST", path: fmt.Sprintf("/api/v1/admin/comments/%d/reject", id), token: a.token}).must(t, http.StatusOK)
	eventually(t, "replica a to see the rejection", func() bool { return count(a) == 0 })
}
