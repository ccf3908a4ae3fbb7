-- dot.lua: graphviz diagrams, drawn at build time and inlined as SVG.
--
--   ```{.dot #mount-propagation caption="A mount travels back through a shared peer"}
--   digraph { ... }
--   ```
--
-- Each diagram gets its own id (the block's, or PAGE-diagram-N), passed to
-- dot as -Gid so that the ids inside one SVG cannot collide with another's.
-- A diagram that dot cannot draw stops the build.

local page = "page"
local count = 0

package.path = PANDOC_SCRIPT_FILE:match("^(.*/)") .. "?.lua;" .. package.path
local shared = require("shared")
local fail, escape = shared.fail, shared.escape

-- Returns the caption as inline HTML.
local function caption_html(text)
  local doc = pandoc.read(text, "markdown")
  local inlines = doc.blocks[1] and doc.blocks[1].content or {}
  return pandoc.write(pandoc.Pandoc({pandoc.Plain(inlines)}), "html"):gsub("\n$", "")
end

-- Returns dot's SVG without the XML prologue and comments, sized to scale
-- down on a narrow screen.
local function draw(id, source)
  local ok, out = pcall(pandoc.pipe, "dot", {"-Tsvg", "-Gid=" .. id}, source)
  if not ok then
    local why = type(out) == "table" and ("exit " .. tostring(out.error_code)) or tostring(out)
    fail("diagram %s: dot failed (%s)", id, why)
  end
  out = out:gsub("^.-<svg", "<svg"):gsub("<!%-%-.-%-%->\n?", "")
  -- Subgraphs (clusters) inherit the id from -Gid: number the copies.
  local seen = 0
  local escaped = id:gsub("%-", "&#45;")
  out = out:gsub('id="' .. escaped:gsub("%p", "%%%0") .. '"', function()
    seen = seen + 1
    return seen == 1 and ('id="' .. id .. '"') or string.format('id="%s-%d"', id, seen)
  end)
  out = out:gsub('<svg width="([%d.]+)pt" height="([%d.]+)pt"',
    function(w, h)
      return string.format('<svg role="img" style="max-width:%spt" data-width="%s" data-height="%s"', w, w, h)
    end, 1)
  return out
end

return {
  {
    Meta = function(meta)
      if meta.page then
        page = pandoc.utils.stringify(meta.page)
      end
    end,
  },
  {
    CodeBlock = function(block)
      if not block.classes:includes("dot") then
        return nil
      end
      count = count + 1
      local id = block.identifier ~= "" and block.identifier
                 or string.format("%s-diagram-%d", page, count)
      local svg = draw(id .. "-svg", block.text)
      local caption = block.attributes.caption
      if not caption or caption == "" then
        fail("diagram %s: give it a caption=\"...\" (what it shows, for readers who cannot see it)", id)
      end
      local cap = caption_html(caption)
      local label = pandoc.utils.stringify(pandoc.read(caption, "markdown"))
      svg = svg:gsub('<svg role="img"', '<svg role="img" aria-label="' ..
                     escape(label):gsub("%%", "%%%%") .. '"', 1)
      return pandoc.RawBlock("html", string.format(
        '<figure class="diagram" id="%s">\n%s\n<figcaption>%s</figcaption>\n</figure>',
        id, svg, cap))
    end,
  },
}
