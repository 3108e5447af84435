package build_test

import (
	"fmt"

	"github.com/openoma/openoma/build"
	"github.com/openoma/openoma/core"
	"github.com/openoma/openoma/validate"
)

// The spec's §11.6 example: a Code Review block, then a Sprint Cycle flow
// with the same Implementation block in two slots.
func Example() {
	review, err := build.WorkBlock("Code Review").
		Input("pull_request_url", "URL of the PR to review").
		Input("review_checklist", "Criteria for approval", build.Optional()).
		Output("verdict", "approved | changes_requested | rejected").
		Output("comments", "Review comments").
		Hint("github-access").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	impl, err := build.WorkBlock("Implementation").
		Input("task", "What to implement").
		Output("pull_request_url", "URL of the pull request").
		Hint("codebase-write").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}

	flow, err := build.Flow("Sprint Cycle").
		Add(review, "review").
		Add(impl, "impl-primary").
		Add(impl, "impl-fast-track"). // same block, two slots
		Edge("impl-primary", "review", build.Map("pull_request_url", "pull_request_url")).
		Edge("impl-fast-track", "review", build.Map("pull_request_url", "pull_request_url")).
		Entry("impl-primary", build.When("not a fast-track task"), build.CEL(`!inputs.task.startsWith("fast-track:")`), build.Map("task", "task")).
		Entry("impl-fast-track", build.When("ticket is fast-track"), build.Map("task", "task")).
		Build() // runs validate.Flow
	if err != nil {
		fmt.Println(err)
		return
	}
	printFlow(flow, review, impl)
	// Output:
	// flow "Sprint Cycle" v1: 3 nodes, 4 edges
	//   review → block "Code Review" v1
	//   impl-primary → block "Implementation" v1
	//   impl-fast-track → block "Implementation" v1
	//   impl-primary → review [pull_request_url→pull_request_url]
	//   impl-fast-track → review [pull_request_url→pull_request_url]
	//   (entry) → impl-primary if "not a fast-track task" {cel: !inputs.task.startsWith("fast-track:")} [task→task]
	//   (entry) → impl-fast-track if "ticket is fast-track" [task→task]
}

// printFlow shows a flow by aliases, since ids are random.
func printFlow(f core.Flow, blocks ...core.WorkBlock) {
	blockName := map[core.Ref]string{}
	for _, b := range blocks {
		blockName[b.Ref()] = b.Describe()
	}
	fmt.Printf("%s: %d nodes, %d edges\n", f.Describe(), len(f.Nodes), len(f.Edges))
	alias := map[any]string{}
	for _, n := range f.Nodes {
		alias[n.ID] = n.Alias
		fmt.Printf("  %s → %s\n", n.Alias, blockName[core.Ref{ID: n.TargetID, Version: n.TargetVersion}])
	}
	for _, e := range f.Edges {
		from := "(entry)"
		if !e.IsEntry() {
			from = alias[e.SourceID]
		}
		fmt.Printf("  %s → %s", from, alias[e.TargetID])
		if c := e.Condition; c != nil {
			fmt.Printf(" if %q", c.Description)
			if c.Predicate != nil {
				fmt.Printf(" {cel: %s}", c.Predicate["cel"])
			}
		}
		if len(e.PortMappings) > 0 {
			fmt.Print(" [")
			for i, m := range e.PortMappings {
				if i > 0 {
					fmt.Print(", ")
				}
				fmt.Printf("%s→%s", m.SourcePort, m.TargetPort)
			}
			fmt.Print("]")
		}
		fmt.Println()
	}
}

// Mistakes do not panic: they accumulate, and Build reports them all,
// together with what validation finds.
func ExampleFlowBuilder_Build_mistakes() {
	impl, _ := build.WorkBlock("Implementation").
		Input("task", "What to implement").
		Output("pull_request_url", "URL of the pull request").
		Build()
	review, _ := build.WorkBlock("Code Review").
		Input("pull_request_url", "URL of the PR to review").
		Output("verdict", "approved | changes_requested | rejected").
		Build()

	_, err := build.Flow("Sprint Cycle").
		Add(impl, "impl").
		Add(review, "review").
		Add(review, "review"). // alias used twice
		Entry("impl").
		Edge("impl", "reveiw"). // misspelt alias
		Edge("impl", "review", build.Map("pr_link", "pull_request_url"), build.CEL("size(outputs)")).
		Build()
	for _, e := range build.Errors(err) {
		fmt.Println(e)
	}
	// Output:
	// flow "Sprint Cycle" v1: Add(block "Code Review" v1, "review"): alias "review" is already used by a node of block "Code Review" v1
	// flow "Sprint Cycle" v1: Edge("impl", "reveiw"): no node has the alias "reveiw" (aliases: "impl", "review")
	// flow "Sprint Cycle" v1: Edge("impl", "review").condition.predicate: condition is not boolean: expression has type int, want bool
	// flow "Sprint Cycle" v1: Edge("impl", "review").port_mappings[0].source_port: "pr_link" is not an output of block "Implementation" v1 (has: pull_request_url)
}

// The contract of the spec's §6 example, reduced to one outcome.
func ExampleContract() {
	check, _ := build.WorkBlock("Check Deployment Status").
		Input("version", "Release version").
		Output("deployed", "Whether the version is live").
		Build()
	verdict, _ := build.WorkBlock("Produce Release Verdict").
		Input("deployed", "Whether the version is live").
		Output("shipped", "Feature X is in production").
		Build()
	release, err := build.Flow("Release Verification").
		Add(check, "check").
		Add(verdict, "verdict").
		Entry("check", build.Map("version", "version")).
		Edge("check", "verdict", build.Map("deployed", "deployed")).
		ExpectedOutcome("Binary pass/fail on release readiness").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	sprint, _ := build.Flow("Engineering Sprint Cycle").Add(check, "only").Entry("only").Build()
	infra, _ := build.Contract("Infrastructure SLA").Outcome("99.9% uptime", "Monthly availability").Build()

	launch, err := build.Contract("Q3 Product Launch").
		WorkFlow(sprint, build.Alias("sprint")).
		SubContract(infra).
		Outcome("Feature X shipped", "Feature X is live in production").
		Assess("Feature X shipped", release, build.TestFlow(sprint)).
		Build() // runs validate.Contract
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(launch.Describe())
	fmt.Println("work flows:", len(launch.WorkFlows), "sub-contracts:", len(launch.SubContracts))
	b := launch.AssessmentBindings[0]
	fmt.Println("assesses:", b.RequiredOutcomeID == launch.RequiredOutcomes[0].ID, "with", len(b.TestFlowRefs), "test flow")

	// An assessment flow must end in exactly one node.
	twoEnds, _ := build.Flow("Two Ends").Add(check, "a").Add(verdict, "b").Entry("a").Entry("b").Build()
	_, err = build.Contract("Broken").
		Outcome("Feature X shipped", "").
		Assess("Feature X shipped", twoEnds).
		Assess("Feature Y shipped", release).
		Build()
	fmt.Println(err)
	// Output:
	// contract "Q3 Product Launch" v1
	// work flows: 1 sub-contracts: 1
	// assesses: true with 1 test flow
	// contract "Broken" v1: Assess("Feature Y shipped", flow "Release Verification" v1): no required outcome is named "Feature Y shipped" (outcomes: "Feature X shipped")
	// contract "Broken" v1: Assess("Feature X shipped", flow "Two Ends" v1).assessment_flow_id: flow "Two Ends" v1 is used as an assessment flow, which must have exactly one terminal node; it has 2: "a", "b"
}

// A review loop: review sends the work back to implementation until it is
// approved. The edge back carries a condition (a cycle without one could
// only end at the iteration limit, and does not validate); node metadata
// bounds the loop and sets a deadline.
func ExampleFlowBuilder_Build_loop() {
	impl, _ := build.WorkBlock("Implementation").
		Input("task", "What to implement").
		Output("pull_request_url", "URL of the pull request").
		Build()
	review, _ := build.WorkBlock("Code Review").
		Input("pull_request_url", "URL of the PR to review").
		Output("verdict", "approved | changes_requested").
		Output("feedback", "What to change").
		Output("pull_request_url", "The PR reviewed").
		Build()
	ship, _ := build.WorkBlock("Ship").Input("pull_request_url", "What to ship").Build()

	flow, err := build.Flow("Review Loop").
		Add(impl, "implement", build.NodeMeta("max_iterations", 5), build.NodeMeta("timeout", "4h")).
		Add(review, "review").
		Add(ship, "ship").
		Entry("implement", build.Map("task", "task")).
		Edge("implement", "review", build.Map("pull_request_url", "pull_request_url")).
		Edge("review", "implement", build.When("changes requested"), build.CEL(`outputs.verdict == "changes_requested"`),
			build.Map("feedback", "task")). // the next pass works on the feedback
		Edge("review", "ship", build.When("approved"), build.CEL(`outputs.verdict == "approved"`), build.Map("pull_request_url", "pull_request_url")).
		Validate(validate.RequireRunnable()).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	printFlow(flow, impl, review, ship)

	// The same loop without its condition is refused.
	_, err = build.Flow("Endless").
		Add(impl, "implement").
		Add(review, "review").
		Entry("implement").
		Edge("implement", "review").
		Edge("review", "implement").
		Validate(validate.RequireRunnable()).
		Build()
	fmt.Println(err)
	// Output:
	// flow "Review Loop" v1: 3 nodes, 4 edges
	//   implement → block "Implementation" v1
	//   review → block "Code Review" v1
	//   ship → block "Ship" v1
	//   (entry) → implement [task→task]
	//   implement → review [pull_request_url→pull_request_url]
	//   review → implement if "changes requested" {cel: outputs.verdict == "changes_requested"} [feedback→task]
	//   review → ship if "approved" {cel: outputs.verdict == "approved"} [pull_request_url→pull_request_url]
	// flow "Endless" v1: Edge("review", "implement"): closes the cycle "implement" → "review" → "implement", and no edge of it has a condition: every run would repeat it until the iteration limit and fail; put a condition on the edge that goes back
}
