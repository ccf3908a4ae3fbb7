-- listing.lua: code blocks whose text is read from the workbook's own files,
-- so that a listing in the book can never differ from the code.
--
--   ```{.c include="chapters/01-net/net.c"}
--   ```                                    the whole file
--   ```{.c include="common/skeleton.c" lines="30-38"}
--   ```                                    lines 30 to 38
--   ```{.c include="common/skeleton.c" start="static int child_main" end="^}"}
--   ```                                    from the first line containing
--                                          `start` to the first line from
--                                          there containing `end` ("^" in
--                                          front: beginning with it; "\t":
--                                          a tab)
--   ```{.diff from="common/skeleton.c" to="chapters/01-net/net.c"}
--   ```                                    `diff -u` of the two files, each
--                                          without its header comment
--
-- Paths are relative to the top of the workbook (where make runs).  A missing
-- file, range or anchor stops the build with one line naming it.

package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
local shared = require("shared")
local fail, escape = shared.fail, shared.escape

-- Returns the lines of path as a list; fails when it cannot be read.
local function read_lines(path)
  local f, err = io.open(path, "r")
  if not f then
    fail("listing: cannot read %s: %s", path, err)
  end
  local lines = {}
  for line in f:lines() do
    lines[#lines + 1] = line
  end
  f:close()
  return lines
end

-- Returns the number of lines of the comment that opens a C file ("/*" on
-- line 1 to the first line ending in "*/"), or 0 when there is none.
local function header_length(lines)
  if not (lines[1] and lines[1]:match("^/%*")) then
    return 0
  end
  for i, line in ipairs(lines) do
    if line:match("%*/%s*$") then
      -- the blank line after the comment goes with it
      if lines[i + 1] == "" then
        return i + 1
      end
      return i
    end
  end
  return 0
end

-- Returns true if line contains text, or begins with it when text is "^...";
-- "\t" in text stands for a tab.
local function matches(line, text)
  text = text:gsub("\\t", "\t")
  if text:sub(1, 1) == "^" then
    return line:sub(1, #text - 1) == text:sub(2)
  end
  return line:find(text, 1, true) ~= nil
end

-- Returns first, last: the range of lines the block's attributes ask for.
local function range(path, lines, attr)
  if attr.lines then
    local a, b = attr.lines:match("^(%d+)%-(%d+)$")
    a, b = tonumber(a), tonumber(b)
    if not a or a < 1 or b < a or b > #lines then
      fail("listing: %s has %d lines; lines=\"%s\" is not a range in it",
           path, #lines, attr.lines)
    end
    return a, b
  end
  local first, last = 1, #lines
  if attr.start then
    first = nil
    for i, line in ipairs(lines) do
      if matches(line, attr.start) then
        first = i
        break
      end
    end
    if not first then
      fail("listing: no line of %s matches start=\"%s\"", path, attr.start)
    end
  end
  if attr["end"] then
    last = nil
    for i = first, #lines do
      if matches(lines[i], attr["end"]) then
        last = i
        break
      end
    end
    if not last then
      fail("listing: no line of %s from line %d on matches end=\"%s\"",
           path, first, attr["end"])
    end
  end
  return first, last
end

-- Writes lines to a new temporary file; returns its name.
local function temp_file(lines, from)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  for i = from, #lines do
    f:write(lines[i], "\n")
  end
  f:close()
  return name
end

-- Returns `diff -u` of the two files without their header comments, with
-- the hunks' line numbers shifted back to the numbers in the real files.
local function diff(from, to)
  local a, b = read_lines(from), read_lines(to)
  local skip_a, skip_b = header_length(a), header_length(b)
  local ta, tb = temp_file(a, skip_a + 1), temp_file(b, skip_b + 1)
  local ok, err = pcall(pandoc.pipe, "diff",
                        {"-u", "--label", from, "--label", to, ta, tb}, "")
  os.remove(ta)
  os.remove(tb)
  if ok then
    fail("listing: %s and %s do not differ below their header comments", from, to)
  end
  if type(err) ~= "table" or err.error_code ~= 1 then
    fail("listing: diff %s %s failed: %s", from, to, tostring(err.output or err))
  end
  local out = err.output:gsub("@@ %-(%d+)(,?%d*) %+(%d+)(,?%d*) @@",
    function(na, ca, nb, cb)
      return string.format("@@ -%d%s +%d%s @@", tonumber(na) + skip_a, ca,
                           tonumber(nb) + skip_b, cb)
    end)
  return (out:gsub("\n$", ""))
end

-- Returns the caption line shown above a listing.
local function label(text)
  return pandoc.RawBlock("html",
    '<div class="listing-name">' .. escape(text) .. "</div>")
end

function CodeBlock(block)
  local attr = block.attributes
  if attr.include then
    if block.text ~= "" then
      fail("listing: the block that includes %s must be empty", attr.include)
    end
    local lines = read_lines(attr.include)
    local first, last = range(attr.include, lines, attr)
    block.text = table.concat(lines, "\n", first, last)
    local where = attr.include
    if first ~= 1 or last ~= #lines then
      where = string.format("%s, lines %d-%d", attr.include, first, last)
    end
    for _, key in ipairs({"include", "lines", "start", "end"}) do
      attr[key] = nil
    end
    return pandoc.Div({label(where), block}, {class = "listing"})
  end
  if attr.from or attr.to then
    if not (attr.from and attr.to) then
      fail("listing: a diff needs both from= and to= (got %s)",
           attr.from or attr.to)
    end
    local from, to = attr.from, attr.to
    block.text = diff(from, to)
    attr.from, attr.to = nil, nil
    if not block.classes:includes("diff") then
      block.classes:insert("diff")
    end
    return pandoc.Div({label("diff -u " .. from .. " " .. to), block},
                      {class = "listing"})
  end
end
