//! A strict JSON reader without allocation, for the one hot path: the points of a 2026 load
//! curve (a first install reads 35 000 of them). It reads only what it is sure of: any shape it
//! does not expect (an escaped character in a value it keeps, a repeated key, a missing field)
//! makes it give up, and the caller reads the body with serde_json, which then says what is
//! wrong. So it never accepts a body serde_json would refuse, and gives the same values.

/// The parts of a 2026 load-curve answer the client keeps, borrowed from the body.
pub(crate) struct CurveBody<'a> {
    /// `idPrm`.
    pub id_prm: &'a str,
    /// The first series' unit.
    pub unit: &'a str,
    /// The first series' points: value, date, step.
    pub points: Vec<(&'a str, &'a str, Option<&'a str>)>,
}

/// Reads a 2026 load-curve body, or `None` when anything is unexpected.
pub(crate) fn curve_body(body: &str) -> Option<CurveBody<'_>> {
    let mut r = Reader {
        text: body,
        bytes: body.as_bytes(),
        at: 0,
    };
    let (mut id_prm, mut series) = (None, None);
    r.object(|r, key| {
        match key {
            "idPrm" => once(&mut id_prm, r.string()?),
            "grandeur" => {
                let mut all: Option<(&str, Vec<_>)> = None;
                r.array(|r| {
                    let one = r.series(all.is_none())?;
                    all.get_or_insert(one);
                    Some(())
                })?;
                // serde_json reads a missing list as an error, an empty one as no series.
                once(&mut series, all.unwrap_or(("", Vec::new())))
            }
            _ => r.skip(0),
        }
    })?;
    r.space();
    if r.at != r.bytes.len() {
        return None;
    }
    let (unit, points) = series?;
    Some(CurveBody {
        id_prm: id_prm?,
        unit,
        points,
    })
}

/// Sets a field read once; a repeated key gives up (serde_json refuses it).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// How deep skipped values may nest.
const MAX_DEPTH: u32 = 64;

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next significant byte, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string without escapes, borrowed.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => break,
                b'\\' => return None,
                c if c < 0x20 => return None,
                _ => self.at += 1,
            }
        }
        let text = self.text.get(start..self.at)?;
        self.at += 1;
        Some(text)
    }

    /// A string or `null`.
    fn optional_string(&mut self) -> Option<Option<&'a str>> {
        if self.peek()? == b'n' {
            self.literal("null")?;
            return Some(None);
        }
        self.string().map(Some)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    /// Members of an object, each value read by `member` (which must consume it).
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Elements of an array, each read by `element`.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            element(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// One series: its unit and, when `keep`, its points (the others are checked, not kept).
    #[allow(clippy::type_complexity)]
    fn series(
        &mut self,
        keep: bool,
    ) -> Option<(&'a str, Vec<(&'a str, &'a str, Option<&'a str>)>)> {
        let (mut unit, mut points) = (None, None);
        self.object(|r, key| match key {
            "unite" => once(&mut unit, r.string()?),
            "points" => {
                // About 80 bytes a point: one allocation for the usual answer.
                let mut list = Vec::with_capacity(if keep { r.bytes.len() / 80 } else { 0 });
                r.array(|r| {
                    let point = r.point()?;
                    if keep {
                        list.push(point);
                    }
                    Some(())
                })?;
                once(&mut points, list)
            }
            _ => r.skip(0),
        })?;
        Some((unit?, points?))
    }

    fn point(&mut self) -> Option<(&'a str, &'a str, Option<&'a str>)> {
        let start = self.at;
        if let Some(point) = self.compact_point() {
            return Some(point);
        }
        self.at = start;
        let (mut v, mut d, mut p) = (None, None, None);
        self.object(|r, key| match key {
            "v" => once(&mut v, r.string()?),
            "d" => once(&mut d, r.string()?),
            "p" => once(&mut p, r.optional_string()?),
            _ => r.skip(0),
        })?;
        Some((v?, d?, p.flatten()))
    }

    /// A point as Enedis and the simulator write it, without spaces and `v`, `d`, `p` first
    /// (`{"v":"120","d":"2026-09-28 00:30:00","p":"PT30M","n":"B",…}`): read by position, the
    /// other members checked and passed over. `None` (the caller starts again with the general
    /// reader) for any other form.
    fn compact_point(&mut self) -> Option<(&'a str, &'a str, Option<&'a str>)> {
        self.space();
        self.literal("{\"v\":")?;
        let v = self.string()?;
        self.literal(",\"d\":")?;
        let d = self.string()?;
        self.literal(",\"p\":")?;
        let p = self.string()?;
        loop {
            match *self.bytes.get(self.at)? {
                b'}' => {
                    self.at += 1;
                    return Some((v, d, Some(p)));
                }
                b',' => {
                    self.at += 1;
                    let key = self.string()?;
                    if matches!(key, "v" | "d" | "p") {
                        return None;
                    }
                    self.expect(b':')?;
                    self.skip(1)?;
                }
                _ => return None,
            }
        }
    }

    /// Any value, checked and passed over.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|r, _| r.skip(depth + 1)),
            b'[' => self.array(|r| r.skip(depth + 1)),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number(),
        }
    }

    /// A string with any escapes, passed over.
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => match *self.bytes.get(self.at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 2,
                    b'u' => {
                        let hex = self.bytes.get(self.at + 2..self.at + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        self.at += 6;
                    }
                    _ => return None,
                },
                c if c < 0x20 => return None,
                _ => self.at += 1,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let digits = |r: &mut Self| {
            let start = r.at;
            while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            (r.at > start).then_some(start)
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let start = digits(self)?;
        if self.bytes[start] == b'0' && self.at - start > 1 {
            return None;
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            digits(self)?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            digits(self)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_points_and_passes_over_the_rest() {
        let body = r#"{"idPrm":"22516914714270","periode":{"dateDebut":"2026-11-01"},"grandeur":[
            {"grandeurMetier":"CONS","unite":"W","points":[{"v":"120","d":"2026-11-01 00:30:00","p":"PT30M","n":"B","iv":"0"},{"d":"2026-11-01 01:00:00","v":"null","p":null}],"calendrier":[{"x":[1,2.5e3,-0,true,false,null,{"a":"\"\u00e9"}]}]},
            {"unite":"VA","points":[]}],"contexte":[]}  "#;
        let read = curve_body(body).unwrap();
        assert_eq!(read.id_prm, "22516914714270");
        // The compact form (read by position) and the general one give the same points.
        let compact = r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"120","d":"2026-11-01 00:30:00","p":"PT30M","n":"B","iv":"0","ec":"0"},{"v":"7","d":"2026-11-01 01:00:00","p":null},{"v":"8","d":"2026-11-01 01:30:00","p":"PT30M","x":{"y":[1]}}]}]}"#;
        assert_eq!(
            curve_body(compact).unwrap().points,
            vec![
                ("120", "2026-11-01 00:30:00", Some("PT30M")),
                ("7", "2026-11-01 01:00:00", None),
                ("8", "2026-11-01 01:30:00", Some("PT30M"))
            ]
        );
        assert_eq!(read.unit, "W");
        assert_eq!(
            read.points,
            vec![
                ("120", "2026-11-01 00:30:00", Some("PT30M")),
                ("null", "2026-11-01 01:00:00", None)
            ]
        );
    }

    /// Whatever it gives up on, serde_json reads (or refuses) instead.
    #[test]
    fn gives_up_on_anything_unexpected() {
        for body in [
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1","d":"2\u0030"}]}]}"#,
            r#"{"idPrm":"1","idPrm":"2","grandeur":[]}"#,
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1"}]}]}"#,
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1","d":"x",}]}]}"#,
            r#"{"idPrm":"1","grandeur":[{"points":[]}]}"#,
            r#"{"grandeur":[]}"#,
            r#"{"idPrm":"1","grandeur":[],"x":01}"#,
            r#"{"idPrm":"1","grandeur":[]} x"#,
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1","d":"x","p":"PT30M"}]}]"#,
            // The compact form read by position still refuses a repeated key or a stray byte.
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1","d":"x","p":"PT30M","v":"2"}]}]}"#,
            r#"{"idPrm":"1","grandeur":[{"unite":"W","points":[{"v":"1","d":"x","p":"PT30M","n":"B"x}]}]}"#,
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        ] {
            assert!(curve_body(body).is_none(), "{body}");
        }
        let deep = format!(
            "{{\"idPrm\":\"1\",\"grandeur\":[],\"x\":{}1{}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(curve_body(&deep).is_none(), "nesting is bounded");
    }
}
