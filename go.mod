module github.com/volleymta/volley

go 1.26
