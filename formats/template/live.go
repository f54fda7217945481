package template

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/bulkload/bulk/pipeline"
)

// Live are a target's names for a template's drop-downs, by field name (ClassroomName: the
// organisation's classrooms, as bulk pull or the target gives them). They replace the field's
// own check: the drop-down offers exactly the names the loader will find.
type Live map[string][]string

// BuildLive is Build with the live names' drop-downs. The caller closes the workbook.
func BuildLive(k *pipeline.Kind, live Live) (*excelize.File, error) {
	b := &builder{f: excelize.NewFile(), k: k, data: DataSheets(k)[0].Name, live: live}
	if err := b.build(); err != nil {
		b.f.Close()
		return nil, fmt.Errorf("building the %s template: %w", k.Name, err)
	}
	return b.f, nil
}

// WriteXLSXLive writes k's template with the live names' drop-downs to w.
func WriteXLSXLive(w io.Writer, k *pipeline.Kind, live Live) error {
	f, err := BuildLive(k, live)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteTo(w)
	return err
}

// liveValidation is the drop-down of a field whose values are a target's names. The names are
// always on the Lists sheet (an organisation's classrooms soon outgrow Excel's 255-character
// inline lists, and one place to look is simpler). A name typed that is not in the list gets a
// warning, not a refusal: it may be a classroom made since, and the load looks it up anyway.
func liveValidation(f *pipeline.Field, col string) *excelize.DataValidation {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows)
	finish(dv, f, excelize.DataValidationErrorStyleWarning,
		"Not one of the target's names when this template was made. Keep it only if it was added since: the load looks names up on the target.")
	return dv
}
