<%@ page contentType="application/json; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/jspf/session.jspf" %>
<%
  // Live sessions the echo pages have seen, as hashes (never ids): lets a test check from
  // Tomcat's side that every session a client opened was ended (logoff). Unprotected: this
  // backend listens on 127.0.0.1 only.
  StringBuilder sb = new StringBuilder("{\"live\":[");
  boolean first = true;
  for (HttpSession s : sfSessions(application).keySet()) {
    String hash;
    try {
      s.getCreationTime(); // throws if already invalidated
      hash = sfHash(s.getId());
    } catch (IllegalStateException gone) {
      sfSessions(application).remove(s);
      continue;
    }
    if (!first) sb.append(',');
    sb.append(sfJson(hash));
    first = false;
  }
  sb.append("]}");
  response.setHeader("Cache-Control", "no-store");
  out.print(sb);
%>
