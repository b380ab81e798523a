package console

// ReadingGradeOf lets the browser tests (package console_test) grade a page's words.
var ReadingGradeOf = readingGrade
