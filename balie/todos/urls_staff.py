from django.urls import path

from balie.todos.views import staff

urlpatterns = [
    path("taken/", staff.todo_list, name="staff_list"),
    path("taken/<uuid:todo>/herinneren/", staff.todo_send_reminder, name="staff_remind"),
]
