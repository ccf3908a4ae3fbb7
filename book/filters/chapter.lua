-- chapter.lua: what makes a chapter's markdown a page of the book.
--
-- Reads the book's page list (metadata `pages`, a file of lines
-- "SOURCE<TAB>HTML<TAB>PREFIX<TAB>NUMBER<TAB>TITLE") and this page's
-- source (metadata `source`), then:
--
--   - prefixes every heading id with the page's PREFIX, so that ids stay
--     unique when all pages share one file (book.html), and marks the
--     headings of unnumbered pages (index, appendix) as such;
--   - turns a link to another page's markdown (../02-mount/README.md#x) into
--     a link to its HTML (02-mount.html#mount-x), a link to a heading of this
--     page (#x) into #PREFIX-x, and a link to a file of the workbook that is
--     not a page into its name in code type; a link to a missing file stops
--     the build;
--   - folds `::: hint` divs into <details>;
--   - draws `.transcript` blocks ("$ command" lines and their output) as a
--     terminal session whose copy button copies only the commands.

package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
local shared = require("shared")
local fail, escape = shared.fail, shared.escape

local by_source = {}
local this = nil

-- Reads the page list written by book/build.sh.
local function load_pages(path)
  for _, p in ipairs(shared.read_pages(path)) do
    by_source[p.source] = p
  end
end

-- Returns path with "." and ".." resolved: "a/b/../c" -> "a/c".
local function normalise(path)
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      if #parts == 0 then
        return nil
      end
      table.remove(parts)
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return table.concat(parts, "/")
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function exists(path)
  local f = io.open(path, "r")
  if f then
    f:close()
    return true
  end
  return false
end

-- Where a transcript was made, by the cgroup layout it names (transcripts.py).
local where = {
  hybrid = "a terminal in the lab, controllers on cgroup v1",
  v2 = "a terminal in the test VM, cgroup v2",
}

-- Returns the HTML of a transcript: prompts, commands and output.
local function transcript(block)
  local html, commands = {}, {}
  for line in (block.text .. "\n"):gmatch("(.-)\n") do
    local command = line:match("^%$ (.*)$")
    if command then
      commands[#commands + 1] = command
      html[#html + 1] = '<span class="prompt">$ </span><span class="command">' ..
                        escape(command) .. "</span>"
    else
      html[#html + 1] = escape(line)
    end
  end
  if #commands == 0 then
    fail("chapter: a transcript in %s has no \"$ command\" line", this.source)
  end
  return pandoc.RawBlock("html", string.format(
    '<div class="listing transcript-box"><div class="listing-name">%s</div>' ..
    '<pre class="transcript" data-copy="%s"><code>%s</code></pre></div>',
    where[block.attributes.layout or ""] or "a terminal in the lab",
    escape(table.concat(commands, "\n")),
    table.concat(html, "\n")))
end

local function Meta(meta)
  if not (meta.pages and meta.source) then
    fail("chapter: run with -M pages=FILE -M source=FILE")
  end
  load_pages(pandoc.utils.stringify(meta.pages))
  local source = pandoc.utils.stringify(meta.source)
  this = by_source[source]
  if not this then
    fail("chapter: %s is not in the page list", source)
  end
  meta.page = this.prefix
  meta.pagetitle = this.title
  return meta
end

local function Header(h)
  h.identifier = h.level == 1 and this.prefix or (this.prefix .. "-" .. h.identifier)
  if this.number == "-" and not h.classes:includes("unnumbered") then
    h.classes:insert("unnumbered")
  end
  return h
end

local function Link(link)
  local target = link.target
  if target:match("^%a[%w+.-]*:") then
    return nil -- https:, mailto: ...
  end
  if target:sub(1, 1) == "#" then
    link.target = "#" .. this.prefix .. "-" .. target:sub(2)
    return link
  end
  local path, anchor = target:match("^([^#]*)#?(.*)$")
  local resolved = normalise(dirname(this.source) .. "/" .. path)
  local page = resolved and by_source[resolved]
  if page then
    link.target = page.html
    if anchor ~= "" then
      link.target = link.target .. "#" .. page.prefix .. "-" .. anchor
    end
    return link
  end
  if not (resolved and exists(resolved)) then
    fail("chapter: %s links to %s, which does not exist", this.source, target)
  end
  -- A file of the workbook: the reader has it in their clone, not on the web.
  return pandoc.Code(resolved, {class = "file"})
end

local function Div(div)
  if div.classes:includes("hint") then
    local summary = div.attributes.summary or "Hint"
    local out = {pandoc.RawBlock("html", '<details class="hint"><summary>' ..
                                 escape(summary) .. "</summary>")}
    for _, b in ipairs(div.content) do
      out[#out + 1] = b
    end
    out[#out + 1] = pandoc.RawBlock("html", "</details>")
    return out
  end
end

local function CodeBlock(block)
  if block.classes:includes("transcript") then
    return transcript(block)
  end
end

return {
  {Meta = Meta},
  {Header = Header, Link = Link, Div = Div, CodeBlock = CodeBlock},
}
