-- single.lua: book.html, every page of the book in one document.
--
-- Reads the page list (metadata `pages`) and, for each page, the AST that
-- book/build.sh left in metadata `work`/PREFIX.json, one after the other,
-- and turns links between pages into links within the document:
-- "02-mount.html#mount-x" becomes "#mount-x" and "02-mount.html" becomes
-- "#mount", the id chapter.lua gives every page's title.  Before the first
-- chapter of each part, the part's title, as an unnumbered heading.

package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
local shared = require("shared")
local fail = shared.fail

function Pandoc(doc)
  local work = pandoc.utils.stringify(doc.meta.work)
  local pages, by_html = {}, {}
  for _, p in ipairs(shared.read_pages(pandoc.utils.stringify(doc.meta.pages))) do
    pages[#pages + 1] = p
    by_html[p.html] = p.prefix
  end

  local fix = {
    Link = function(link)
      local html, anchor = link.target:match("^([^/#:]+%.html)#?(.*)$")
      if html and by_html[html] then
        link.target = "#" .. (anchor ~= "" and anchor or by_html[html])
        return link
      end
    end,
  }
  local blocks = {}
  for _, p in ipairs(pages) do
    local prefix = p.prefix
    if shared.part_of(p) then
      blocks[#blocks + 1] = pandoc.Header(1, shared.part_of(p),
        pandoc.Attr("part-" .. p.number, {"unnumbered", "part"}))
    end
    local f = io.open(work .. "/" .. prefix .. ".json", "r")
    if not f then
      fail("single: no rendered page %s/%s.json", work, prefix)
    end
    local page = pandoc.read(f:read("a"), "json")
    f:close()
    for _, b in ipairs(page:walk(fix).blocks) do
      blocks[#blocks + 1] = b
    end
  end
  doc.blocks = blocks
  return doc
end
