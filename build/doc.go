// Package build offers fluent builders for openoma definitions (spec
// §11.6): WorkBlocks, Flows and Contracts assembled in a few readable calls
// instead of by filling structs.
//
//	review, err := build.WorkBlock("Code Review").
//		Input("pull_request_url", "URL of the PR to review").
//		OptionalInput("review_checklist", "Criteria for approval").
//		Output("verdict", "approved | changes_requested | rejected").
//		Hint("github-access").
//		Build()
//
//	flow, err := build.Flow("Sprint Cycle").
//		Add(review, "review").
//		Add(impl, "impl").
//		Entry("impl", build.When("ticket is approved")).
//		Edge("impl", "review", build.Map("pull_request_url", "pull_request_url")).
//		Build()
//
// Builders never panic. A mistake — an edge to an alias that was never
// added, an alias used twice, an assessment for an outcome that was never
// declared — is remembered, and Build reports every mistake together with
// everything package validate finds in the result, as a core.ErrorList.
// Build returns the definition even on error, so a caller can show it.
//
// Ids are fresh random UUIDs unless set with ID (and, for nodes and
// outcomes, NodeID and OutcomeID); the version is 1 unless set. Edges,
// entries and assessments refer to nodes and outcomes by alias and name,
// resolved when Build runs, so calls may come in any order. Each Build
// returns a deep copy: changing the builder afterwards does not change what
// it built.
package build
