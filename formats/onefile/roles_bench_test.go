package onefile

import "testing"

// BenchmarkRoleRules times what the row rules ask of the role tables for every row: the role
// from its cell (bare IDs mostly), the fields the role needs, and whether it takes a field.
// The whole-pipeline benchmark is too noisy on a shared machine to see these.
func BenchmarkRoleRules(b *testing.B) {
	cells := []string{"1", "1", "1", "5", "40", "10", "4", "45", "Learner", "5 Assessor/Tutor"}
	fields := []int{uULN, uDOB, uPlacementID, uMISID}
	n := 0
	for i := 0; b.Loop(); i++ {
		role, _ := ParseRole(cells[i%len(cells)])
		n += len(requiredGroups(role))
		if takes[fields[i%len(fields)]].Has(role) {
			n++
		}
	}
	if n < 0 {
		b.Fatal(n)
	}
}
