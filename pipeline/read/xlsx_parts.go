package read

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// The parts of a workbook package (ECMA-376 Part 1 and Part 2) the reader needs: where the
// workbook part is, its sheets and their parts, the date system, the cell styles' number
// formats and the shared strings. Everything is read with encoding/xml by local name, so the
// transitional and the strict schema, and prefixed elements (<x:c>), read alike.

const (
	relOfficeDocument = "/officeDocument"
	relWorksheet      = "/worksheet"
	relStyles         = "/styles"
	relSharedStrings  = "/sharedStrings"
	relCoreProps      = "/core-properties"
)

// pkg is an opened workbook package: its zip entries by normalized name.
type pkg struct {
	zr    *zip.ReadCloser
	parts map[string]*zip.File // lower-cased name without a leading slash → entry
	lim   partLimits
}

func openPkg(p string, lim partLimits) (*pkg, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, err
	}
	k := &pkg{zr: zr, parts: make(map[string]*zip.File, len(zr.File)), lim: lim}
	for _, f := range zr.File {
		// Part names are case-insensitive (ECMA-376 Part 2, 9.1.1.1); some writers use '\'.
		k.parts[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))] = f
	}
	return k, nil
}

func (k *pkg) Close() error { return k.zr.Close() }

func (k *pkg) find(name string) *zip.File {
	return k.parts[strings.ToLower(strings.TrimPrefix(name, "/"))]
}

// open returns a decoder over a part, or (nil, nil, nil) when the package has no such part. The
// part may expand to at most limit bytes (and the ratio of the package's limits), and none of
// its tokens may be longer than maxToken.
func (k *pkg) open(name string, limit int64) (*xml.Decoder, io.Closer, error) {
	f := k.find(name)
	if f == nil {
		return nil, nil, nil
	}
	if err := checkSize(name, f.UncompressedSize64, f.CompressedSize64, limit, k.lim.ratio); err != nil {
		return nil, nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("part %s: %w", name, err)
	}
	g := &tokenGuard{r: rc, name: name, max: maxToken, left: limit}
	d := xml.NewDecoder(bufio.NewReaderSize(g, 64<<10))
	d.CharsetReader = charset.NewReaderLabel // the XML declaration may name UTF-16
	return d, rc, nil
}

type rel struct{ id, typ, target string }

// rels reads the relationships of the part named name (from its _rels/NAME.rels), with targets
// resolved to part names.
func (k *pkg) rels(name string) ([]rel, error) {
	dir, base := path.Split(name)
	relsName := path.Join(dir, "_rels", base+".rels")
	d, c, err := k.open(relsName, k.lim.meta)
	if err != nil || d == nil {
		return nil, err
	}
	defer c.Close()
	var out []rel
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", relsName, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" || attr(se, "TargetMode") == "External" {
			continue
		}
		target := attr(se, "Target")
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join(dir, target)
		}
		out = append(out, rel{id: attr(se, "Id"), typ: attr(se, "Type"), target: target})
	}
}

func relOfType(rs []rel, suffix string) string {
	for _, r := range rs {
		if strings.HasSuffix(r.typ, suffix) {
			return r.target
		}
	}
	return ""
}

func attr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func xmlBool(s string) bool { return s == "1" || s == "true" || s == "on" }

type sheetRef struct {
	name, part string
	state      string // "hidden" or "veryHidden" (hidden so that only a macro can show it); "" when visible
}

// workbook is what the workbook part says about the package.
type workbook struct {
	part      string
	date1904  bool
	sheets    []sheetRef
	styles    string // part names, "" when absent
	sst       string
	coreProps string
}

func (k *pkg) workbook() (*workbook, error) {
	top, err := k.rels("")
	if err != nil {
		return nil, err
	}
	wb := &workbook{part: relOfType(top, relOfficeDocument), coreProps: relOfType(top, relCoreProps)}
	if wb.part == "" {
		wb.part = "xl/workbook.xml"
	}
	d, c, err := k.open(wb.part, k.lim.meta)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errors.New("it has no workbook part: it is not an Excel workbook")
	}
	defer c.Close()
	wrels, err := k.rels(wb.part)
	if err != nil {
		return nil, err
	}
	byID := map[string]rel{}
	for _, r := range wrels {
		byID[r.id] = r
	}
	wb.styles = relOfType(wrels, relStyles)
	wb.sst = relOfType(wrels, relSharedStrings)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", wb.part, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "workbookPr":
			wb.date1904 = xmlBool(attr(se, "date1904"))
		case "sheet":
			r, ok := byID[attr(se, "id")] // r:id; the prefix varies, the local name does not
			if !ok || !strings.HasSuffix(r.typ, relWorksheet) {
				continue // a chart sheet or a dialog sheet holds no cells
			}
			state := attr(se, "state")
			if state == "visible" {
				state = ""
			}
			wb.sheets = append(wb.sheets, sheetRef{name: attr(se, "name"), part: r.target, state: state})
		}
	}
	return wb, nil
}

// keywords returns the keywords of the core properties (docProps/core.xml).
func (k *pkg) keywords(part string) string {
	if part == "" {
		return ""
	}
	d, c, err := k.open(part, k.lim.meta)
	if err != nil || d == nil {
		return ""
	}
	defer c.Close()
	in := false
	var b strings.Builder
	for {
		tok, err := d.RawToken()
		if err != nil {
			return b.String()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			in = t.Name.Local == "keywords"
		case xml.CharData:
			if in {
				b.Write(t)
			}
		case xml.EndElement:
			in = false
		}
	}
}

// styles reads the number format of each cell style (cellXfs) and classifies it once, so each
// cell costs one slice lookup.
func (k *pkg) styles(part string) ([]cellFmt, error) {
	if part == "" {
		return nil, nil
	}
	d, c, err := k.open(part, k.lim.meta)
	if err != nil || d == nil {
		return nil, err
	}
	defer c.Close()
	custom := map[int]string{}
	var xfIDs []int
	inCellXfs := false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", part, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				if id, err := strconv.Atoi(attr(t, "numFmtId")); err == nil {
					custom[id] = attr(t, "formatCode")
				}
			case "cellXfs":
				inCellXfs = true
			case "xf":
				if inCellXfs {
					id, _ := strconv.Atoi(attr(t, "numFmtId"))
					xfIDs = append(xfIDs, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inCellXfs = false
			}
		}
	}
	fmts := make([]cellFmt, len(xfIDs))
	for i, id := range xfIDs {
		if code, ok := custom[id]; ok {
			fmts[i] = cellFmt{class: classifyFormat(code), mask: zeroMask(code), percent: percentFormat(code)}
		} else {
			fmts[i] = cellFmt{class: builtinClass(id), percent: id == 9 || id == 10} // 0% and 0.00%
		}
	}
	return fmts, nil
}
