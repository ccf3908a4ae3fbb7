-- shared.lua: what the book's filters have in common.  A filter loads it with
--   package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
--   local shared = require("shared")

local shared = {}

-- Prints "book: MESSAGE" and ends pandoc with status 1: a build that cannot
-- show what the page asks for must not succeed.
function shared.fail(fmt, ...)
  io.stderr:write("book: ", string.format(fmt, ...), "\n")
  os.exit(1)
end

-- Returns s with the characters that HTML gives a meaning escaped.
function shared.escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

-- Returns the page list that book/build.sh writes, in reading order: one
-- table {source, html, prefix, number, title} per line
-- "SOURCE<TAB>HTML<TAB>PREFIX<TAB>NUMBER<TAB>TITLE" (NUMBER "-": no number).
function shared.read_pages(path)
  local pages = {}
  local f = io.open(path, "r")
  if not f then
    shared.fail("cannot read the page list %s", path)
  end
  for line in f:lines() do
    local source, html, prefix, number, title =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if source then
      pages[#pages + 1] = {source = source, html = html, prefix = prefix,
                           number = number, title = title}
    end
  end
  f:close()
  return pages
end

-- The parts of the book, by the number of the chapter each starts with:
-- the sidebar, the contents and book.html give each its heading.
shared.parts = {
  [0] = "Part I: one namespace at a time",
  [7] = "Part II: from an isolated process to a container",
}

-- Returns the title of the part that page p starts, or nil.
function shared.part_of(p)
  return p.number ~= "-" and shared.parts[tonumber(p.number)] or nil
end

return shared
