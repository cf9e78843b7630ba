<%@ page contentType="application/json; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %>
<%
  jakarta.servlet.http.HttpSession current = request.getSession(false);
  if (current != null) current.invalidate();
  response.setHeader("Cache-Control", "no-store");
  out.print("{\"loggedOut\":" + (current != null) + "}");
%>
