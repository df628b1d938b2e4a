import { escapeHtml } from '../../lib/dashboard/html-escape';

describe('escapeHtml', () => {
  it('escapes the five characters that can end HTML text or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('leaves a path without them as it is', () => {
    expect(escapeHtml('/api/v1/dashboard')).toBe('/api/v1/dashboard');
  });
});
